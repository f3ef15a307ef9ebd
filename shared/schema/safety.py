"""Routing's decision rows for the triage safety net: a possible crisis confirmed or downgraded,
and a clinician's review of label contraindications and warnings. Who, when, what and why; the
free-text note is PHI (it is about the person), so it is encrypted like every PHI column."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_list
from shared.schema.encrypted import encrypted_text


class CrisisCheckDecision(SQLModel, table=True):
    """One per lead: the first person's decision is the decision (a second answers 409)."""

    __tablename__ = "crisis_check_decision"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", unique=True)
    decision: str = Field(max_length=16)  # confirmed | downgraded
    urgency_before: str = Field(max_length=16)
    urgency_after: str = Field(max_length=16)
    reason: str = Field(max_length=48)  # a code (services/routing/domain/safety.py)
    note: str | None = encrypted_text("crisis_check_decision.note")
    actor: str = Field(max_length=80)  # the signed-in person (user:<id> / key:<id>)
    coordinator_id: UUID | None = None  # the coordinator they act as, when they are one
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ClinicalReviewDecision(SQLModel, table=True):
    """Every review decision (needs info, then cleared, ...); lead_state.clinical_review is the latest."""

    __tablename__ = "clinical_review_decision"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    decision: str = Field(max_length=16)  # cleared | not_suitable | needs_info
    reason: str | None = Field(default=None, max_length=48)  # a code; required for not_suitable
    note: str | None = encrypted_text("clinical_review_decision.note")
    contraindications: list = json_list()  # what was under review, as codes
    warnings: list = json_list()
    actor: str = Field(max_length=80)
    coordinator_id: UUID | None = None
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
