"""The console's tables: a coordinator's notes on a lead and the call attempts they log.

Both hold words about a person (PHI), so the free text is encrypted at rest like the contact
details (shared/schema/encrypted.py); the outcome of a call is a code, kept plain so the dashboard
can count it without decrypting anything.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema.encrypted import encrypted_text


class LeadNote(SQLModel, table=True):
    __tablename__ = "lead_note"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    actor: str = Field(max_length=80)  # "user:<id>", as the audit trail names people
    author: str = Field(max_length=120)  # the display name at the time (staff, not PHI)
    body: str = encrypted_text("lead_note.body", nullable=False, default="")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class CallAttempt(SQLModel, table=True):
    __tablename__ = "call_attempt"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    actor: str = Field(max_length=80)
    author: str = Field(max_length=120)
    outcome: str = Field(max_length=24)  # a CallOutcome code (services/console/domain/notes.py)
    note: str | None = encrypted_text("call_attempt.note")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
