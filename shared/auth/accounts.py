"""Staff accounts: the `staff_user` rows and the few queries on them (like shared/apikeys.py for
keys). The sign-in flow and the admin CLI (services/console) build on these."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.auth import passwords, totp
from shared.auth.lockout import account_key, normalise_email, record_attempt
from shared.auth.sessions import end_all_sessions
from shared.enums import Role
from shared.schema import StaffUser

MFA_REQUIRED = frozenset({Role.supervisor, Role.admin})


class AccountProblem(ValueError):
    """A request the account rules refuse; the message names the field, never a secret."""


def by_email(db: Session, email: str) -> StaffUser | None:
    return db.exec(select(StaffUser).where(StaffUser.email == normalise_email(email))).first()


def all_users(db: Session) -> list[StaffUser]:
    return list(db.exec(select(StaffUser).order_by(col(StaffUser.email))).all())


def mfa_required(user: StaffUser) -> bool:
    return Role(user.role) in MFA_REQUIRED


def create_user(
    db: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    coordinator_id: UUID | None = None,
    organization: str | None = None,
    now: datetime,
) -> StaffUser:
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountProblem("email: not an email address")
    if by_email(db, email) is not None:
        raise AccountProblem("email: an account with this email exists")
    if role in (Role.coordinator, Role.supervisor) and coordinator_id is None:
        raise AccountProblem("coordinator: a coordinator or supervisor account names its directory entry")
    if role == Role.provider and not organization:
        raise AccountProblem("organization: a provider account names its practice")
    problem = passwords.password_problem(password)
    if problem:
        raise AccountProblem(f"password: {problem}")
    user = StaffUser(
        email=email,
        display_name=display_name.strip()[:120] or email,
        role=role.value,
        coordinator_id=coordinator_id if role in (Role.coordinator, Role.supervisor) else None,
        organization=organization if role in (Role.provider, Role.call_center) else None,
        password_hash=passwords.hash_password(password),
        created_at=now,
        password_changed_at=now,
    )
    db.add(user)
    return user


def set_password(db: Session, user: StaffUser, password: str, now: datetime) -> None:
    """A new password (admin reset): ends the user's sessions and clears their lockout."""
    problem = passwords.password_problem(password)
    if problem:
        raise AccountProblem(f"password: {problem}")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    db.add(user)
    end_all_sessions(db, user.id)
    record_attempt(db, account_key(user.email), None, True, now)  # a success ends a failure run


def reset_mfa(db: Session, user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_pending = None
    user.totp_last_step = None
    db.add(user)
    end_all_sessions(db, user.id)


def disable(db: Session, user: StaffUser, now: datetime) -> None:
    user.disabled_at = user.disabled_at or now
    db.add(user)
    end_all_sessions(db, user.id)


# The TOTP columns are encrypted by their column type (the PHI keys, shared/crypto.py): code
# here reads and writes the plain secret.


def set_totp_secret(user: StaffUser, secret: str) -> None:
    """Enrol with a known secret (the development demo accounts only)."""
    user.totp_secret = secret
    user.totp_pending = None


def totp_secret(user: StaffUser) -> str | None:
    return user.totp_secret or None


def pending_totp_secret(db: Session, user: StaffUser) -> str:
    """The secret being enrolled (made once, kept until the first code confirms it)."""
    if user.totp_pending:
        return user.totp_pending
    secret = totp.new_secret()
    user.totp_pending = secret
    db.add(user)
    return secret
