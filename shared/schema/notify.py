"""Notify's tables: one row per notice (its send guard and delivery state), the provider's
delivery events, and each referral's status as its referrer sees it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.enums import NotificationStatus


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
    provider_message_id: str | None = Field(default=None, max_length=128, index=True)
    attempts: int = 0
    ambiguous_attempts: int = 0  # sends whose outcome was unknown (accepted, response lost)
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # What the notice is about, how fast it went, what became of it
    subject_key: str | None = Field(default=None, max_length=80)  # "alert:<id>", "digest:<date>"
    coordinator_id: UUID | None = Field(default=None, foreign_key="coordinator.id")
    urgency: str | None = Field(default=None, max_length=16)
    backend: str | None = Field(default=None, max_length=16)  # which backend accepted it
    triggered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # the cause's occurred_at
    accept_seconds: float | None = None  # triggered_at -> accepted by the provider
    last_event_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # last webhook event
    failure_reported_at: datetime | None = Field(
        default=None, sa_type=UtcDateTime
    )  # notification.failed emitted
    # "email", or "sms" for a page to a pager phone (recipient is then the E.164 number)
    channel: str = Field(default="email", max_length=8, sa_column_kwargs={"server_default": "email"})
    ack_code: str | None = Field(default=None, max_length=12, index=True)  # SMS: reply to acknowledge
    overdue_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # no delivery event in time


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
