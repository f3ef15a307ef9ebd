"""The lead a person reads: intake's facts and contact, routing's status, classification and
assignment, notify's notifications — one read-only query per part, returned as plain values.

Used by GET /v1/leads/{id} now, and later by the console and FHIR Task reads. It never writes
(tests/contracts/test_table_owners.py: it owns no table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.schema import (
    Assignment,
    Classification,
    Consent,
    Coordinator,
    Lead,
    LeadContact,
    LeadState,
    LeadStatus,
    Notification,
)


@dataclass(frozen=True)
class ClassificationView:
    conditions: list[str]
    primary_condition: str | None
    urgency: str
    veteran: bool
    flags: list[str]
    evidence: list[dict]  # spans of the person's text: PHI
    classifier_version: str
    manual_triage: bool


@dataclass(frozen=True)
class AssignmentView:
    coordinator_id: UUID
    coordinator_name: str
    step: int
    reason: str
    assigned_at: datetime


@dataclass(frozen=True)
class NotificationView:
    id: UUID
    kind: str
    step: int
    status: str
    attempts: int
    sent_at: datetime | None


@dataclass(frozen=True)
class ContactView:
    """PHI."""

    name: str | None
    phone: str | None
    email: str | None
    message: str
    date_of_birth: str | None
    preferred_contact_method: str | None
    preferred_contact_time: str | None


@dataclass(frozen=True)
class ConsentView:
    """What the person agreed to: no PHI (the wording is the clinic's, the agent is staff)."""

    wording_version: str
    wording_language: str
    channel: str
    given_at: datetime
    heard_by: str | None


@dataclass(frozen=True)
class LeadView:
    id: UUID
    reference: str
    channel: str
    status: str
    urgency: str | None
    created_at: datetime
    organization: str | None
    submitted_by_key_id: UUID | None
    classification: ClassificationView | None
    assignment: AssignmentView | None  # the latest
    notifications: list[NotificationView]
    contact: ContactView | None
    spam_reason: str | None = None  # held for spam review by the public form's defence
    consent: ConsentView | None = None


def load_lead_view(session: Session, lead_id: UUID) -> LeadView | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    state = session.get(LeadState, lead_id)  # none yet: routing has not touched it
    return LeadView(
        id=lead.id,
        reference=lead.reference,
        channel=lead.channel,
        status=state.status if state else LeadStatus.received.value,
        urgency=state.urgency if state else None,
        created_at=lead.created_at,
        organization=lead.organization,
        submitted_by_key_id=lead.submitted_by_key_id,
        classification=_classification(session, lead_id),
        assignment=_assignment(session, lead_id),
        notifications=_notifications(session, lead_id),
        contact=_contact(session, lead_id),
        spam_reason=lead.spam_reason,
        consent=_consent(session, lead_id),
    )


def _consent(session: Session, lead_id: UUID) -> ConsentView | None:
    row = session.exec(
        select(Consent).where(Consent.lead_id == lead_id).order_by(col(Consent.given_at).desc())
    ).first()
    if row is None:
        return None
    return ConsentView(row.wording_version, row.wording_language, row.channel, row.given_at, row.heard_by)


def _classification(session: Session, lead_id: UUID) -> ClassificationView | None:
    c = session.exec(select(Classification).where(Classification.lead_id == lead_id)).first()
    if c is None:
        return None
    return ClassificationView(
        conditions=list(c.conditions),
        primary_condition=c.primary_condition,
        urgency=c.urgency,
        veteran=c.veteran,
        flags=list(c.flags),
        evidence=list(c.evidence),
        classifier_version=c.classifier_version,
        manual_triage=c.manual_triage,
    )


def _assignment(session: Session, lead_id: UUID) -> AssignmentView | None:
    row = session.exec(
        select(Assignment, Coordinator)
        .join(Coordinator, col(Coordinator.id) == col(Assignment.coordinator_id))
        .where(Assignment.lead_id == lead_id)
        .order_by(col(Assignment.step).desc())
    ).first()
    if row is None:
        return None
    assignment, coordinator = row
    return AssignmentView(
        coordinator_id=coordinator.id,
        coordinator_name=coordinator.name,
        step=assignment.step,
        reason=assignment.reason,
        assigned_at=assignment.created_at,
    )


def _notifications(session: Session, lead_id: UUID) -> list[NotificationView]:
    rows = session.exec(
        select(Notification).where(Notification.lead_id == lead_id).order_by(col(Notification.created_at))
    ).all()
    return [
        NotificationView(
            id=n.id, kind=n.kind, step=n.step, status=n.status, attempts=n.attempts, sent_at=n.sent_at
        )
        for n in rows
    ]


def _contact(session: Session, lead_id: UUID) -> ContactView | None:
    c = session.get(LeadContact, lead_id)
    if c is None:
        return None
    return ContactView(
        name=c.name,
        phone=c.phone,
        email=c.email,
        message=c.message,
        date_of_birth=c.date_of_birth,
        preferred_contact_method=c.preferred_contact_method,
        preferred_contact_time=c.preferred_contact_time,
    )
