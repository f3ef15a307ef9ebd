"""The lead a person reads: intake's facts and contact, routing's status, classification and
assignment, notify's notifications — one read-only query per part, returned as plain values.

Used by GET /v1/leads/{id} now, and later by the console and FHIR Task reads. It never writes
(tests/contracts/test_table_owners.py: it owns no table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.schema import (
    Assignment,
    Classification,
    ClinicalReviewDecision,
    Consent,
    Coordinator,
    CrisisCheckDecision,
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
    possible_crisis: bool = False
    possible_crisis_reasons: list[str] = field(default_factory=list)
    contraindications: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionView:
    """A person's safety-net decision: who, when, what, why. `note` is PHI (staff only)."""

    decision: str
    reason: str | None
    note: str | None
    decided_by: str  # the audit trail's actor: user:<id> / key:<id>
    coordinator_id: UUID | None
    decided_at: datetime
    urgency_after: str | None = None  # crisis checks: the lane after the decision


@dataclass(frozen=True)
class CrisisCheckView:
    """ "Possible crisis — confirm": why, and the decision once a person made it."""

    state: str  # pending | confirmed | downgraded
    reasons: list[str]
    classifier_urgency: str | None
    decision: DecisionView | None


@dataclass(frozen=True)
class ClinicalReviewView:
    state: str  # pending | cleared | not_suitable | needs_info
    contraindications: list[str]
    warnings: list[str]
    decisions: list[DecisionView]  # oldest first; the last is the state


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
    crisis_check: CrisisCheckView | None = None  # a possible crisis (shown first on the lead page)
    clinical_review: ClinicalReviewView | None = None


def load_lead_view(session: Session, lead_id: UUID) -> LeadView | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    state = session.get(LeadState, lead_id)  # none yet: routing has not touched it
    classification = _classification(session, lead_id)
    return LeadView(
        id=lead.id,
        reference=lead.reference,
        channel=lead.channel,
        status=state.status if state else LeadStatus.received.value,
        urgency=state.urgency if state else None,
        created_at=lead.created_at,
        organization=lead.organization,
        submitted_by_key_id=lead.submitted_by_key_id,
        classification=classification,
        assignment=_assignment(session, lead_id),
        notifications=_notifications(session, lead_id),
        contact=_contact(session, lead_id),
        spam_reason=lead.spam_reason,
        consent=_consent(session, lead_id),
        crisis_check=_crisis_check(session, state, classification),
        clinical_review=_clinical_review(session, state, classification),
    )


def _crisis_check(
    session: Session, state: LeadState | None, c: ClassificationView | None
) -> CrisisCheckView | None:
    if state is None or not state.crisis_check:
        return None
    row = session.exec(
        select(CrisisCheckDecision).where(CrisisCheckDecision.lead_id == state.lead_id)
    ).first()
    decision = None
    if row is not None:
        decision = DecisionView(
            row.decision,
            row.reason,
            row.note,
            row.actor,
            row.coordinator_id,
            row.decided_at,
            row.urgency_after,
        )
    return CrisisCheckView(
        state=state.crisis_check,
        reasons=list(c.possible_crisis_reasons) if c else [],
        classifier_urgency=c.urgency if c else None,
        decision=decision,
    )


def _clinical_review(
    session: Session, state: LeadState | None, c: ClassificationView | None
) -> ClinicalReviewView | None:
    if state is None or not state.clinical_review:
        return None
    rows = session.exec(
        select(ClinicalReviewDecision)
        .where(ClinicalReviewDecision.lead_id == state.lead_id)
        .order_by(col(ClinicalReviewDecision.decided_at))
    ).all()
    return ClinicalReviewView(
        state=state.clinical_review,
        contraindications=list(c.contraindications) if c else [],
        warnings=list(c.warnings) if c else [],
        decisions=[
            DecisionView(r.decision, r.reason, r.note, r.actor, r.coordinator_id, r.decided_at) for r in rows
        ],
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
        possible_crisis=c.possible_crisis,
        possible_crisis_reasons=list(c.possible_crisis_reasons),
        contraindications=list(c.contraindications),
        warnings=list(c.warnings),
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
