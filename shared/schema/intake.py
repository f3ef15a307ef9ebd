"""Intake's tables: the lead as it was taken in, the person's details, idempotency records.

`lead` holds the facts fixed at intake; what routing decides later lives in routing's `lead_state`.
PHI (who the person is and what they wrote) lives only in `lead_contact`, so most code paths and
queries never touch it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict


class Lead(SQLModel, table=True):
    __tablename__ = "lead"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    reference: str = Field(max_length=16, unique=True, index=True)  # opaque, safe for email
    channel: str = Field(max_length=16)
    risk_flag: bool = False  # intake's synchronous risk screen saw suicide/self-harm words
    language: str | None = Field(default=None, max_length=8)
    organization: str | None = Field(default=None, max_length=120, index=True)  # referrer's
    submitted_by_key_id: UUID | None = Field(default=None, foreign_key="api_key.id")
    # A signed-in staff member who logged it (a call-center agent): scopes their reads of it.
    submitted_by_user_id: UUID | None = Field(default=None, foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # Repeat-contact keys (HMAC of the normalised phone / email, never the raw value) and the
    # region a referral names: computed here, where the contact details are.
    region: str | None = Field(default=None, max_length=16)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    email_hash: str | None = Field(default=None, max_length=64, index=True)


class LeadContact(SQLModel, table=True):
    """PHI: kept apart from the routing fields, read only by code that must show it."""

    __tablename__ = "lead_contact"

    lead_id: UUID = Field(foreign_key="lead.id", primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=320)
    message: str = Field(default="", max_length=10_000)
    date_of_birth: str | None = Field(default=None, max_length=10)
    preferred_contact_method: str | None = Field(default=None, max_length=16)
    preferred_contact_time: str | None = Field(default=None, max_length=100)
    how_heard: str | None = Field(default=None, max_length=200)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    scope: str = Field(max_length=64, primary_key=True)  # the API key id, or "public"
    key: str = Field(max_length=255, primary_key=True)
    request_hash: str = Field(max_length=64)
    lead_id: UUID = Field(foreign_key="lead.id")
    response: dict = json_dict()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
