"""Routing's tables: where each lead stands, its classification, the directory, the rules and the
on-call schedule, assignments, SLA deadlines, escalations and alerts."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict, json_list, serial_pk
from shared.schema.encrypted import encrypted_json_list


class LeadState(SQLModel, table=True):
    """Where a lead stands in routing. Routing creates it when it first handles the lead (the
    classify task); a lead with no row is `received`."""

    __tablename__ = "lead_state"

    lead_id: UUID = Field(foreign_key="lead.id", primary_key=True)
    status: str = Field(max_length=24, index=True)
    urgency: str | None = Field(default=None, max_length=16)  # copied from the classification
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id", index=True)
    classify_attempts: int = 0
    dispatch_count: int = 0
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    last_dispatched_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    repeat_of_id: UUID | None = Field(default=None, index=True)
    route_after: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    waiting_reason: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    escalation_step: int = 0
    outcome_reason: str | None = Field(default=None, max_length=64)  # a code, never free text
    alternative: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The coordinators the latest routing decision considered (its pools' members, as id strings):
    # a coordinator may read a lead in a pool they belong to (shared/auth/policy.py).
    candidate_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # A CrisisCheck while the lead is (or was) a possible crisis; None for every other lead.
    crisis_check: str | None = Field(default=None, max_length=16, index=True)
    # A ClinicalReview while label contraindications or warnings await (or had) a clinician's look.
    clinical_review: str | None = Field(default=None, max_length=16, index=True)


class Classification(SQLModel, table=True):
    __tablename__ = "classification"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", unique=True)
    conditions: list = json_list()
    primary_condition: str | None = Field(default=None, max_length=32)
    urgency: str = Field(max_length=16)
    veteran: bool = False
    flags: list = json_list()
    evidence: list = encrypted_json_list("classification.evidence")  # spans of the person's text: PHI
    classifier_version: str = Field(max_length=80)
    manual_triage: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # The safety net (services/routing/domain/safety.py): why this lead is a possible crisis (codes)
    # while `urgency` stays what the classifier said; and the label contraindications and warnings.
    possible_crisis: bool = False
    possible_crisis_reasons: list = json_list()
    contraindications: list = json_list()
    warnings: list = json_list()


class Coordinator(SQLModel, table=True):
    __tablename__ = "coordinator"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=320, unique=True)
    specialties: list = json_list()  # condition codes
    programs: list = json_list()  # e.g. "veterans"
    languages: list = json_list()  # ISO 639-1
    timezone: str = Field(default="America/Los_Angeles", max_length=64)
    on_call: bool = False
    active: bool = True
    max_open_leads: int = 12
    # E.164 number for SMS pages (crisis, escalation); a staff phone, never a patient's.
    pager_phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # routing engine directory fields (no working hours configured = always on shift)
    role: str = Field(default="coordinator", max_length=24)  # coordinator|supervisor|clinical_reviewer
    regions: list = json_list()  # licensed states/regions; empty = everywhere
    working_hours: dict = json_dict()
    holidays: list = json_list()  # ISO dates, in the coordinator's time zone
    out_of_office: list = json_list()  # [{"start": iso, "end": iso}]
    max_new_per_day: int | None = None
    weight: float = 1.0
    supervisor_id: UUID | None = Field(default=None)
    backup_id: UUID | None = Field(default=None)
    paused: bool = False  # paused from new routine leads (two timeouts in a row)
    consecutive_timeouts: int = 0
    last_assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Assignment(SQLModel, table=True):
    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("lead_id", "step", name="uq_assignment_lead_step"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    coordinator_id: UUID = Field(foreign_key="coordinator.id", index=True)
    step: int = 0
    reason: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    kind: str = Field(default="route", max_length=16)  # an AssignmentKind
    rule_name: str | None = Field(default=None, max_length=64)
    rule_version: int | None = None
    explanation: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class RoutingRuleset(SQLModel, table=True):
    """One imported rules document per version; the highest version is live."""

    __tablename__ = "routing_ruleset"

    id: int | None = serial_pk()
    version: int = Field(unique=True)
    document: dict = json_dict()
    actor: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class OncallLayer(SQLModel, table=True):
    """A rotation: members take `shift_hours` turns from `rotation_start`; higher position wins."""

    __tablename__ = "oncall_layer"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    position: int = 0
    rotation_start: datetime = Field(sa_type=UtcDateTime)
    shift_hours: int = 168
    members: list = json_list()  # coordinator ids (str), in rotation order
    timezone: str = Field(default="America/Los_Angeles", max_length=64)
    restrict_days: list = json_list()  # e.g. ["mon", ...]; empty = every day
    restrict_start: str | None = Field(default=None, max_length=5)  # "HH:MM" local
    restrict_end: str | None = Field(default=None, max_length=5)


class OncallOverride(SQLModel, table=True):
    __tablename__ = "oncall_override"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    coordinator_id: UUID = Field(foreign_key="coordinator.id")
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    reason: str = Field(default="", max_length=120)


class SlaDeadline(SQLModel, table=True):
    """A timer as a row: the deadline sweeper fires it when due (never a long countdown task)."""

    __tablename__ = "sla_deadline"
    __table_args__ = (UniqueConstraint("lead_id", "kind", "step", name="uq_sla_deadline_lead_kind_step"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    kind: str = Field(max_length=24)  # a DeadlineKind
    step: int = 0
    coordinator_id: UUID | None = None
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    status: str = Field(default="pending", max_length=16, index=True)  # a DeadlineStatus
    fired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Escalation(SQLModel, table=True):
    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("lead_id", "kind", "step", name="uq_escalation_lead_kind_step"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", index=True)
    kind: str = Field(max_length=24)  # escalation | crisis_repeat
    step: int
    role: str = Field(max_length=16)  # assignee | backup | supervisor | on_call
    coordinator_id: UUID = Field(foreign_key="coordinator.id")
    cause: str = Field(max_length=32)  # timeout | notification_failed
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ReviewerCopy(SQLModel, table=True):
    __tablename__ = "reviewer_copy"

    lead_id: UUID = Field(foreign_key="lead.id", primary_key=True)
    coordinator_id: UUID = Field(foreign_key="coordinator.id", primary_key=True)
    flags: list = json_list()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RoutingAlert(SQLModel, table=True):
    """An alert raised once per (kind, dedup key) until resolved."""

    __tablename__ = "routing_alert"
    __table_args__ = (UniqueConstraint("kind", "dedup_key", name="uq_routing_alert_kind_key"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    kind: str = Field(max_length=32)
    dedup_key: str = Field(max_length=200)
    severity: str = Field(default="warning", max_length=16)
    coordinator_id: UUID | None = None
    lead_id: UUID | None = None
    detail: dict = json_dict()
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
