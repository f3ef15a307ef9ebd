"""Sign-in lockout with exponential backoff, per account and per client address.

After `threshold` failures in a row (no success in between, within a day), the next attempt must
wait `base * 2**(failures - threshold)` seconds after the last failure, capped. Passwords and TOTP
codes both count. The account is a keyed hash of the typed email, so an unknown email is counted
and locked exactly like a real one: lockout does not tell which emails exist. While locked, no
password is checked and nothing is recorded (the attempt costs the same time all the same).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from shared.schema import LoginAttempt
from shared.settings import get_settings

WINDOW = timedelta(days=1)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def account_key(email: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(key, b"login\n" + normalise_email(email).encode(), hashlib.sha256).hexdigest()


def backoff_seconds(failures: int) -> int:
    """How long after the last of `failures` consecutive failures the next attempt must wait."""
    settings = get_settings()
    if failures < settings.login_lockout_threshold:
        return 0
    doubling = min(failures - settings.login_lockout_threshold, 30)
    return min(settings.login_lockout_base_seconds * 2**doubling, settings.login_lockout_max_seconds)


def _failures_since_success(db: Session, column, value: str, now: datetime) -> tuple[int, datetime | None]:
    rows = db.exec(
        select(LoginAttempt.succeeded, LoginAttempt.at)
        .where(column == value, col(LoginAttempt.at) >= now - WINDOW)
        .order_by(col(LoginAttempt.id).desc())
        .limit(200)
    ).all()
    failures, last = 0, None
    for succeeded, at in rows:
        if succeeded:
            break
        failures += 1
        last = last or at
    return failures, last


def seconds_locked(db: Session, account: str, client_ip: str | None, now: datetime) -> int:
    """0 when an attempt may be made now; otherwise how many seconds to wait."""
    waits = []
    checks = [(LoginAttempt.account_key, account)]
    if client_ip:
        checks.append((LoginAttempt.client_ip, client_ip))
    for column, value in checks:
        failures, last = _failures_since_success(db, column, value, now)
        if last is not None:
            until = last + timedelta(seconds=backoff_seconds(failures))
            waits.append(max(0, int((until - now).total_seconds() + 0.999)))
    return max(waits, default=0)


def record_attempt(db: Session, account: str, client_ip: str | None, succeeded: bool, now: datetime) -> None:
    db.add(LoginAttempt(at=now, account_key=account, client_ip=client_ip, succeeded=succeeded))
