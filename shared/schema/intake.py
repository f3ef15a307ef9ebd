"""Intake's tables: the lead as it was taken in, the person's details, idempotency records, consent.

`lead` holds the facts fixed at intake; what routing decides later lives in routing's `lead_state`.
PHI (who the person is and what they wrote) lives only in `lead_contact`, so most code paths and
queries never touch it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict
from shared.schema.encrypted import encrypted_bytes, encrypted_json_dict, encrypted_text


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
    # Public-form spam defence: why the lead waits for spam review instead of being routed
    # (`honeypot`, `too_fast`, `bad_form_token`), and the keyed hash of the channel and normalised
    # body that makes an identical resubmission within minutes the same lead.
    spam_reason: str | None = Field(default=None, max_length=32)
    dedupe_hash: str | None = Field(default=None, max_length=64, index=True)


class LeadContact(SQLModel, table=True):
    """PHI: kept apart from the routing fields, read only by code that must show it, and encrypted
    at rest column by column (shared/schema/encrypted.py). The preferred contact method is a code
    (call, text, email) that notices show, so it stays plain."""

    __tablename__ = "lead_contact"

    lead_id: UUID = Field(foreign_key="lead.id", primary_key=True)
    name: str | None = encrypted_text("lead_contact.name")
    phone: str | None = encrypted_text("lead_contact.phone")
    email: str | None = encrypted_text("lead_contact.email")
    message: str = encrypted_text("lead_contact.message", nullable=False, default="")
    date_of_birth: str | None = encrypted_text("lead_contact.date_of_birth")
    preferred_contact_method: str | None = Field(default=None, max_length=16)
    preferred_contact_time: str | None = encrypted_text("lead_contact.preferred_contact_time")
    how_heard: str | None = encrypted_text("lead_contact.how_heard")
    details: dict = encrypted_json_dict("lead_contact.details")


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    scope: str = Field(max_length=64, primary_key=True)  # the API key id, or "public"
    key: str = Field(max_length=255, primary_key=True)
    request_hash: str = Field(max_length=64)
    lead_id: UUID = Field(foreign_key="lead.id")
    response: dict = json_dict()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Consent(SQLModel, table=True):
    """Consent to be contacted, as given: which wording (version, language and a hash of the exact
    text, kept in services/intake/consent/), when, through which channel and, on the phone, the
    agent (key or account) who read it out and heard the answer."""

    __tablename__ = "consent"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    purpose: str = Field(default="contact", max_length=32)
    wording_version: str = Field(max_length=32)
    wording_language: str = Field(max_length=8)
    wording_sha256: str = Field(max_length=64)
    channel: str = Field(max_length=16)
    given_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    heard_by: str | None = Field(default=None, max_length=80)  # the agent: "key:<id>" or "user:<id>"


class ReferralAttachment(SQLModel, table=True):
    """A PDF a provider attached on the referral form (/refer): PHI, so the file and its name are
    encrypted at rest like every other PHI column. Checked before it gets here: a real PDF by its
    content, within CAREROUTE_REFERRAL_PDF_MAX_BYTES."""

    __tablename__ = "referral_attachment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    filename: str | None = encrypted_text("referral_attachment.filename")
    content_type: str = Field(max_length=64)
    size: int
    pages: int
    sha256: str = Field(max_length=64)
    data: bytes = encrypted_bytes("referral_attachment.data", nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
