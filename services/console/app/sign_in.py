"""Signing in: password (with lockout), then the second factor — a TOTP code for those enrolled,
enrolment first for supervisors and admins who are not — then a full session.

Every failure says the same thing whether or not the email exists, and costs the same time (an
Argon2 verification runs either way). Passwords and codes both count toward the lockout of the
account and of the client address (shared/auth/lockout.py). The session token is replaced when
the password is accepted and again when the second factor is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from shared.auth import accounts, passwords, sessions, totp
from shared.auth.lockout import account_key, record_attempt, seconds_locked
from shared.logging import get_logger
from shared.schema import AuditEvent, StaffSession, StaffUser

from services.console.domain.review import HOME, safe_next

log = get_logger(__name__)


class Outcome(StrEnum):
    signed_in = "signed_in"
    code_due = "code_due"
    enrol_due = "enrol_due"
    refused = "refused"  # wrong email, password or code: one message for all
    locked = "locked"


@dataclass(frozen=True)
class Step:
    outcome: Outcome
    token: str | None = None  # the new session token to set in the cookie
    next_path: str = HOME
    retry_after: int = 0


def _audit(db: Session, user: StaffUser | None, action: str, client_ip: str | None, detail: dict) -> None:
    actor = f"user:{user.id}" if user else "public"
    db.add(AuditEvent(actor=actor, action=action, client_ip=client_ip, detail=detail))


def sign_in_with_password(
    db: Session,
    email: str,
    password: str,
    client_ip: str | None,
    next_path: str | None,
    now: datetime,
    old_token: str | None = None,
) -> Step:
    account = account_key(email)
    wait = seconds_locked(db, account, client_ip, now)
    if wait:
        passwords.burn_time()
        return Step(Outcome.locked, retry_after=wait)
    user = accounts.by_email(db, email)
    if user is None or user.disabled_at is not None:
        passwords.burn_time()
        ok, upgraded = False, None
    else:
        ok, upgraded = passwords.verify_password(user.password_hash, password)
    record_attempt(db, account, client_ip, ok, now)
    if not ok:
        log.info("sign_in_refused", reason="password")
        return Step(Outcome.refused)
    if upgraded:
        user.password_hash = upgraded  # hashed with older parameters: re-hashed now
    sessions.end_session(db, old_token)  # a session from before sign-in never carries over
    if user.totp_secret:
        stage = sessions.MFA
    elif accounts.mfa_required(user):
        stage = sessions.ENROL
    else:
        stage = sessions.FULL
    token = sessions.start_session(db, user, stage, now, safe_next(next_path), client_ip)
    if stage == sessions.FULL:
        _signed_in(db, user, client_ip, now, "password")
    outcome = {sessions.MFA: Outcome.code_due, sessions.ENROL: Outcome.enrol_due}.get(
        stage, Outcome.signed_in
    )
    return Step(outcome, token=token, next_path=safe_next(next_path))


def _signed_in(db: Session, user: StaffUser, client_ip: str | None, now: datetime, factors: str) -> None:
    user.last_sign_in_at = now
    db.add(user)
    _audit(db, user, "staff.sign_in", client_ip, {"factors": factors, "role": user.role})
    log.info("sign_in", user_id=str(user.id), factors=factors)


def _check_code(
    db: Session, user: StaffUser, secret: str, code: str, client_ip: str | None, now: datetime
) -> tuple[bool, int]:
    """(accepted, seconds locked). Wrong codes count toward the lockout like wrong passwords."""
    account = account_key(user.email)
    wait = seconds_locked(db, account, client_ip, now)
    if wait:
        return False, wait
    step = totp.accepted_step(secret, code, user.totp_last_step, now.timestamp())
    record_attempt(db, account, client_ip, step is not None, now)
    if step is None:
        return False, 0
    user.totp_last_step = step
    db.add(user)
    return True, 0


def submit_code(
    db: Session, row: StaffSession, user: StaffUser, code: str, client_ip: str | None, now: datetime
) -> Step:
    secret = accounts.totp_secret(user)
    if row.stage != sessions.MFA or secret is None:
        return Step(Outcome.refused)
    ok, wait = _check_code(db, user, secret, code, client_ip, now)
    if wait:
        return Step(Outcome.locked, retry_after=wait)
    if not ok:
        return Step(Outcome.refused)
    token = sessions.rotate(db, row, sessions.FULL)
    _signed_in(db, user, client_ip, now, "password+totp")
    return Step(Outcome.signed_in, token=token, next_path=safe_next(row.next_path))


def enrolment(db: Session, user: StaffUser) -> tuple[str, str]:
    """(the otpauth URI, its QR code as inline SVG) for the secret being enrolled."""
    uri = totp.provisioning_uri(accounts.pending_totp_secret(db, user), user.email)
    return uri, totp.qr_svg(uri)


def confirm_enrolment(
    db: Session, row: StaffSession, user: StaffUser, code: str, client_ip: str | None, now: datetime
) -> Step:
    if user.totp_secret or not user.totp_pending or row.stage not in (sessions.ENROL, sessions.FULL):
        return Step(Outcome.refused)
    secret = accounts.pending_totp_secret(db, user)
    ok, wait = _check_code(db, user, secret, code, client_ip, now)
    if wait:
        return Step(Outcome.locked, retry_after=wait)
    if not ok:
        return Step(Outcome.refused)
    user.totp_secret, user.totp_pending = user.totp_pending, None
    db.add(user)
    _audit(db, user, "staff.mfa_enrolled", client_ip, {})
    first_full = row.stage == sessions.ENROL
    token = sessions.rotate(db, row, sessions.FULL)
    if first_full:
        _signed_in(db, user, client_ip, now, "password+totp")
    return Step(Outcome.signed_in, token=token, next_path=safe_next(row.next_path))


def sign_out(db: Session, token: str | None, client_ip: str | None, now: datetime) -> None:
    found = sessions.find_session(db, token, now)
    if found is not None:
        _audit(db, found[1], "staff.sign_out", client_ip, {})
    sessions.end_session(db, token)
