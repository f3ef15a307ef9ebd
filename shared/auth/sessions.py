"""Server-side staff sessions: a random token in an HttpOnly cookie, only its SHA-256 in the table.

A session ends when it has been idle for CAREROUTE_SESSION_IDLE_SECONDS, when it reaches its
absolute lifetime (CAREROUTE_SESSION_MAX_SECONDS), when its user is disabled, or at sign-out
(the row is deleted). The token is replaced at sign-in and again once the second factor is done,
so a token seen before sign-in (session fixation) is worth nothing after it.

The CSRF synchronizer token is derived from the session token with a keyed hash: nothing extra is
stored, and a database reader learns neither.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from shared.caller import Caller, CallerKind
from shared.schema import Role, StaffSession, StaffUser
from shared.settings import get_settings

FULL = "full"  # signed in, second factor done where required
MFA = "mfa"  # password accepted, TOTP code due
ENROL = "enrol"  # password accepted, TOTP enrolment due (supervisors and admins)
TOUCH_EVERY = timedelta(seconds=5)  # last_seen is written at most this often


def _production() -> bool:
    return get_settings().env == "production"


def session_cookie_name() -> str:
    # __Host-: the browser accepts it only Secure, from this host, for Path=/ (no subdomain can
    # plant or read it).
    return "__Host-careroute_session" if _production() else "careroute_session"


def sign_in_cookie_name() -> str:
    """The pre-session cookie the sign-in form's CSRF token is checked against."""
    return "__Host-careroute_signin" if _production() else "careroute_signin"


def cookie_options() -> dict:
    return {"httponly": True, "samesite": "lax", "secure": _production(), "path": "/"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(token: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf\n" + token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token_for(token), presented or "")


def start_session(
    db: Session, user: StaffUser, stage: str, now: datetime, next_path: str | None, client_ip: str | None
) -> str:
    """A new session for `user`; returns the cookie's token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    db.add(
        StaffSession(
            token_hash=hash_token(token),
            user_id=user.id,
            stage=stage,
            next_path=next_path,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=get_settings().session_max_seconds),
            client_ip=client_ip,
        )
    )
    return token


def find_session(db: Session, token: str | None, now: datetime) -> tuple[StaffSession, StaffUser] | None:
    """The live session a cookie names (any stage), or None. Expired sessions are deleted."""
    if not token or len(token) > 128:
        return None
    row = db.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if row is None:
        return None
    user = db.get(StaffUser, row.user_id)
    idle = timedelta(seconds=get_settings().session_idle_seconds)
    if user is None or user.disabled_at is not None or now >= row.expires_at or now - row.last_seen_at > idle:
        db.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
    return row, user


def rotate(db: Session, row: StaffSession, stage: str) -> str:
    """A new token for the same session (at a change of privilege); the old one stops working."""
    token = secrets.token_urlsafe(32)
    row.token_hash = hash_token(token)
    row.stage = stage
    db.add(row)
    return token


def end_session(db: Session, token: str | None) -> None:
    if not token:
        return
    row = db.exec(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if row is not None:
        db.delete(row)


def end_all_sessions(db: Session, user_id) -> int:
    rows = db.exec(select(StaffSession).where(StaffSession.user_id == user_id)).all()
    for row in rows:
        db.delete(row)
    return len(rows)


def session_caller(user: StaffUser) -> Caller:
    return Caller(
        kind=CallerKind.session,
        id=user.id,
        role=Role(user.role),
        organization=user.organization,
        coordinator_id=user.coordinator_id,
    )
