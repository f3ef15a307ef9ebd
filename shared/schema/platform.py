"""Shared infrastructure, written through `shared/` code by any service: the outbox and the inbox,
heartbeats, the audit trail and API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict, serial_pk


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
