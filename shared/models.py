"""The tables every service shares.

PHI (who the person is and what they wrote) lives only in `lead_contact`; `lead` holds the
routing fields, so most code paths and queries never touch PHI. Enumerations are stored as short
strings (validated in Python) so a new status needs no database enum migration.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow


class Channel(str, enum.Enum):
    web = "web"
    phone = "phone"
    referral = "referral"


class LeadStatus(str, enum.Enum):
    received = "received"
    classified = "classified"
    manual_triage = "manual_triage"  # the classifier kept failing: a person triages it, as urgent
    waiting = "waiting"  # nobody eligible now: routine waits for the next coordinator on shift
    routed = "routed"
    notified = "notified"
    acknowledged = "acknowledged"
    contacted = "contacted"
    scheduled = "scheduled"
    not_eligible = "not_eligible"
    closed = "closed"


# Statuses where the pipeline still owes the lead a step; the sweeper watches these.
PIPELINE_STATUSES = (
    LeadStatus.received,
    LeadStatus.classified,
    LeadStatus.manual_triage,
    LeadStatus.routed,
)
TERMINAL_STATUSES = (LeadStatus.scheduled, LeadStatus.not_eligible, LeadStatus.closed)


class Urgency(str, enum.Enum):
    crisis = "crisis"
    urgent = "urgent"
    routine = "routine"


class Role(str, enum.Enum):
    provider = "provider"
    call_center = "call_center"
    coordinator = "coordinator"
    supervisor = "supervisor"
    admin = "admin"


class NotificationStatus(str, enum.Enum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    bounced = "bounced"
    failed = "failed"


def _json_column(**kwargs: Any) -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kwargs)


class Lead(SQLModel, table=True):
    __tablename__ = "lead"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    reference: str = Field(max_length=16, unique=True, index=True)  # opaque, safe for email
    channel: str = Field(max_length=16)
    status: str = Field(max_length=24, index=True)
    risk_flag: bool = False  # intake's synchronous risk screen saw suicide/self-harm words
    urgency: str | None = Field(default=None, max_length=16)  # copied from the classification
    language: str | None = Field(default=None, max_length=8)
    organization: str | None = Field(default=None, max_length=120, index=True)  # referrer's
    submitted_by_key_id: UUID | None = Field(default=None, foreign_key="api_key.id")
    classify_attempts: int = 0
    dispatch_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    last_dispatched_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # routing engine: current owner, repeat-contact keys (HMAC, never the raw value), waiting, outcome
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id", index=True)
    region: str | None = Field(default=None, max_length=16)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    email_hash: str | None = Field(default=None, max_length=64, index=True)
    repeat_of_id: UUID | None = Field(default=None, index=True)
    route_after: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    waiting_reason: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    escalation_step: int = 0
    outcome_reason: str | None = Field(default=None, max_length=64)  # a code, never free text
    alternative: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


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


class Classification(SQLModel, table=True):
    __tablename__ = "classification"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", unique=True)
    conditions: list = _json_column()
    primary_condition: str | None = Field(default=None, max_length=32)
    urgency: str = Field(max_length=16)
    veteran: bool = False
    flags: list = _json_column()
    evidence: list = _json_column()  # spans of the patient's text: PHI, shown only in the console
    classifier_version: str = Field(max_length=80)
    manual_triage: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class Coordinator(SQLModel, table=True):
    __tablename__ = "coordinator"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=320, unique=True)
    specialties: list = _json_column()  # condition codes
    programs: list = _json_column()  # e.g. "veterans"
    languages: list = _json_column()  # ISO 639-1
    timezone: str = Field(default="America/Los_Angeles", max_length=64)
    on_call: bool = False
    active: bool = True
    max_open_leads: int = 12
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    # routing engine directory fields (no working hours configured = always on shift)
    role: str = Field(default="coordinator", max_length=24)  # coordinator|supervisor|clinical_reviewer
    regions: list = _json_column()  # licensed states/regions; empty = everywhere
    working_hours: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    holidays: list = _json_column()  # ISO dates, in the coordinator's time zone
    out_of_office: list = _json_column()  # [{"start": iso, "end": iso}]
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
    kind: str = Field(default="route", max_length=16)  # route|repeat|reassign|claim|reroute|on_call
    rule_name: str | None = Field(default=None, max_length=64)
    rule_version: int | None = None
    explanation: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("lead_id", "recipient", "kind", "step", name="uq_notification_once"),
        # Notices about no single lead (alerts, digests) are keyed by what they are about instead.
        UniqueConstraint("subject_key", "recipient", "kind", name="uq_notification_subject_once"),
        Index("ix_notification_status_sent_at", "status", "sent_at"),  # the reconciler's scan
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID | None = Field(default=None, foreign_key="lead.id", index=True)
    assignment_id: UUID | None = Field(default=None, foreign_key="assignment.id")
    recipient: str = Field(max_length=320)  # a coordinator's work address, not the patient's
    kind: str = Field(max_length=32)
    step: int = 0
    status: str = Field(default=NotificationStatus.pending.value, max_length=16, index=True)
    provider_message_id: str | None = Field(default=None, max_length=128)
    attempts: int = 0
    ambiguous_attempts: int = 0  # sends whose outcome was unknown (accepted, response lost)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # --- notify delivery (0003): what the notice is about, how fast it went, what became of it
    subject_key: str | None = Field(default=None, max_length=80)  # "alert:<id>", "digest:<date>"
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id")
    urgency: str | None = Field(default=None, max_length=16)
    backend: str | None = Field(default=None, max_length=16)  # which backend accepted it
    triggered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # the cause's occurred_at
    accept_seconds: float | None = None  # triggered_at -> accepted by the provider
    last_event_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # last webhook event
    failure_reported_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # notification.failed emitted
    overdue_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # no delivery event in time


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=16)
    name: str = Field(default="", max_length=120)
    organization: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class OutboxEvent(SQLModel, table=True):
    """An event written in the same transaction as the change it reports; the relay publishes it."""

    __tablename__ = "outbox_event"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    event_id: UUID = Field(unique=True)
    event_type: str = Field(max_length=64)
    task_name: str = Field(max_length=64)
    queue: str = Field(max_length=32)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
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


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    scope: str = Field(max_length=64, primary_key=True)  # the API key id, or "public"
    key: str = Field(max_length=255, primary_key=True)
    request_hash: str = Field(max_length=64)
    lead_id: UUID = Field(foreign_key="lead.id")
    response: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class AuditEvent(SQLModel, table=True):
    """Append-only (a PostgreSQL trigger refuses UPDATE and DELETE): who touched which lead."""

    __tablename__ = "audit_event"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    actor: str = Field(max_length=80)  # "key:<id>", "public", "task:<name>", "link:<coordinator>"
    action: str = Field(max_length=64)
    lead_id: UUID | None = Field(default=None, index=True)
    client_ip: str | None = Field(default=None, max_length=64)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Heartbeat(SQLModel, table=True):
    """Last beat of each background loop (relay, sweeper) for the deep health check."""

    __tablename__ = "heartbeat"

    name: str = Field(max_length=64, primary_key=True)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# --- notify delivery


class DeliveryEvent(SQLModel, table=True):
    """One SendGrid Event Webhook event, keyed by its sg_event_id: a redelivered batch adds nothing."""

    __tablename__ = "delivery_event"

    sg_event_id: str = Field(max_length=200, primary_key=True)
    notification_id: UUID = Field(foreign_key="notification.id", index=True)
    event: str = Field(max_length=24)
    reason_code: str | None = Field(default=None, max_length=64)  # a code, never free text
    occurred_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ReferralUpdate(SQLModel, table=True):
    """A referral's status as its referrer sees it, in FHIR Task words: one row per status reached."""

    __tablename__ = "referral_update"

    lead_id: UUID = Field(foreign_key="lead.id", primary_key=True)
    status: str = Field(max_length=16, primary_key=True)
    reason: str | None = Field(default=None, max_length=64)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# --- routing engine: rules, on-call schedule, SLA deadlines, escalations, alerts


class RoutingRuleset(SQLModel, table=True):
    """One imported rules document per version; the highest version is live."""

    __tablename__ = "routing_ruleset"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    version: int = Field(unique=True)
    document: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
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
    members: list = _json_column()  # coordinator ids (str), in rotation order
    timezone: str = Field(default="America/Los_Angeles", max_length=64)
    restrict_days: list = _json_column()  # e.g. ["mon", ...]; empty = every day
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
    kind: str = Field(max_length=24)  # acknowledge | crisis_repeat
    step: int = 0
    coordinator_id: UUID | None = None
    due_at: datetime = Field(sa_type=UtcDateTime, index=True)
    status: str = Field(default="pending", max_length=16, index=True)  # pending | fired | cancelled
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
    flags: list = _json_column()
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
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raised_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CoordinatorKey(SQLModel, table=True):
    """Binds a coordinator/supervisor API key to the coordinator it acts as."""

    __tablename__ = "coordinator_key"

    api_key_id: UUID = Field(foreign_key="api_key.id", primary_key=True)
    coordinator_id: UUID = Field(foreign_key="coordinator.id", index=True)
