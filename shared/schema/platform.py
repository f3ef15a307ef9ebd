"""Shared infrastructure, written through `shared/` code by any service: the outbox and the inbox,
heartbeats, the audit trail and API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict, serial_pk
from shared.schema.encrypted import encrypted_text


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)  # a Role
    name: str = Field(default="", max_length=120)
    organization: str | None = Field(default=None, max_length=120)
    # The coordinator a coordinator or supervisor key acts as.
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class OutboxEvent(SQLModel, table=True):
    """An event written in the same transaction as the change it reports; the relay publishes it."""

    __tablename__ = "outbox_event"

    id: int | None = serial_pk()
    event_id: UUID = Field(unique=True)
    event_type: str = Field(max_length=64)
    task_name: str = Field(max_length=64)
    queue: str = Field(max_length=32)
    payload: dict = json_dict()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    publish_attempts: int = 0
    last_error: str | None = Field(default=None, max_length=200)


class InboxClaim(SQLModel, table=True):
    """One row per (consumer, event) handled: a redelivered task finds its claim and stops."""

    __tablename__ = "inbox_claim"

    consumer: str = Field(max_length=64, primary_key=True)
    event_id: UUID = Field(primary_key=True)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only (a PostgreSQL trigger refuses UPDATE and DELETE): who touched which lead."""

    __tablename__ = "audit_event"

    id: int | None = serial_pk()
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor: str = Field(max_length=80)  # "key:<id>", "public", "task:<name>", "link:<coordinator>"
    action: str = Field(max_length=64)
    lead_id: UUID | None = Field(default=None, index=True)
    client_ip: str | None = Field(default=None, max_length=64)
    detail: dict = json_dict()


class Heartbeat(SQLModel, table=True):
    """Last beat of each background loop (relay, sweeper) for the deep health check."""

    __tablename__ = "heartbeat"

    name: str = Field(max_length=64, primary_key=True)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# --- staff identity (docs/security.md): accounts, server-side sessions, sign-in attempts, grants ---


class StaffUser(SQLModel, table=True):
    """A named staff account for the console. Passwords are Argon2id hashes; the TOTP secret is
    encrypted at rest like PHI (shared/schema/encrypted.py: key ids, `careroute keys rotate`) and
    never logged."""

    __tablename__ = "staff_user"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)  # normalised: trimmed, lower case
    display_name: str = Field(max_length=120)
    role: str = Field(max_length=16)  # a Role
    # The directory person a coordinator or supervisor is; a provider's practice (never from a body).
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id", index=True)
    organization: str | None = Field(default=None, max_length=120)
    password_hash: str = Field(max_length=256)
    totp_secret: str | None = encrypted_text("staff_user.totp_secret")  # set once enrolled
    totp_pending: str | None = encrypted_text("staff_user.totp_pending")  # during enrolment
    # The last accepted code's time step: a code is good once.
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "staff_session"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: UUID = Field(foreign_key="staff_user.id", index=True)
    stage: str = Field(max_length=16)  # "mfa" or "enrol" (password checked, code due) | "full"
    next_path: str | None = Field(default=None, max_length=500)  # a local path, checked
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)  # the absolute lifetime
    client_ip: str | None = Field(default=None, max_length=64)


class LoginAttempt(SQLModel, table=True):
    """One row per password or code checked: lockout counts failures per account and per address.
    The account is a keyed hash of the typed email, so unknown emails are counted (and locked) alike."""

    __tablename__ = "login_attempt"

    id: int | None = serial_pk()
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    account_key: str = Field(max_length=64, index=True)
    client_ip: str | None = Field(default=None, max_length=64, index=True)
    succeeded: bool = False


class BreakGlassGrant(SQLModel, table=True):
    """An admin's time-limited read of one lead's PHI, with the reason they typed (audited, and a
    supervisor is alerted)."""

    __tablename__ = "break_glass_grant"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    actor: str = Field(max_length=80, index=True)  # the Caller.actor it was granted to
    reason: str = encrypted_text("break_glass_grant.reason", nullable=False, default="")  # may name PHI
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
