"""Staff account administration (the `careroute user` commands and the demo seed): create, reset,
disable, list. Passwords are generated here and shown once, or given by the operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from shared.auth import accounts, passwords
from shared.auth.accounts import AccountProblem
from shared.schema import AuditEvent, Coordinator, Role, StaffUser

ACTOR = "cli:user"


@dataclass(frozen=True)
class Listed:
    email: str
    display_name: str
    role: str
    mfa: bool
    disabled: bool


def _coordinator_id(db: Session, email: str | None):
    if not email:
        return None
    person = db.exec(select(Coordinator).where(Coordinator.email == email.strip().lower())).first()
    if person is None:
        raise AccountProblem("coordinator: no directory entry with this email")
    return person.id


def create(
    db: Session,
    *,
    email: str,
    role: Role,
    now: datetime,
    coordinator_email: str | None = None,
    organization: str | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> tuple[StaffUser, str]:
    """The new account and its password (generated unless given)."""
    chosen = password or passwords.generate_password()
    coordinator_id = _coordinator_id(db, coordinator_email)
    if display_name is None and coordinator_id is not None:
        display_name = db.get(Coordinator, coordinator_id).name
    user = accounts.create_user(
        db,
        email=email,
        display_name=display_name or email,
        role=role,
        password=chosen,
        coordinator_id=coordinator_id,
        organization=organization,
        now=now,
    )
    db.add(AuditEvent(actor=ACTOR, action="staff.create", detail={"user_id": str(user.id), "role": role}))
    return user, chosen


def _find(db: Session, email: str) -> StaffUser:
    user = accounts.by_email(db, email)
    if user is None:
        raise AccountProblem("email: no such account")
    return user


def reset(
    db: Session, email: str, now: datetime, *, reset_mfa: bool = False, password: str | None = None
) -> str:
    """A new password (generated unless given); the lockout is cleared and sessions end."""
    user = _find(db, email)
    chosen = password or passwords.generate_password()
    accounts.set_password(db, user, chosen, now)
    if reset_mfa:
        accounts.reset_mfa(db, user)
    db.add(
        AuditEvent(
            actor=ACTOR, action="staff.reset", detail={"user_id": str(user.id), "mfa_reset": reset_mfa}
        )
    )
    return chosen


def disable(db: Session, email: str, now: datetime) -> None:
    user = _find(db, email)
    accounts.disable(db, user, now)
    db.add(AuditEvent(actor=ACTOR, action="staff.disable", detail={"user_id": str(user.id)}))


def listing(db: Session) -> list[Listed]:
    return [
        Listed(u.email, u.display_name, u.role, bool(u.totp_secret), u.disabled_at is not None)
        for u in accounts.all_users(db)
    ]
