"""The console's lead lists: one row per lead with what a queue shows — reference, channel, status,
urgency, the possible-crisis and repeat-contact marks, the next deadline, the owner — and the facts
shared/auth/policy.py needs to decide whether the reader may see it (`LeadScope`). No PHI: the
queue never shows who the person is or what they wrote; the lead page does (and audits it).

Read-only queries across owners, batched (one query per part for the whole list).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from shared.auth.policy import LeadScope
from shared.readmodel.lead_scope import _ids
from shared.schema import Coordinator, Escalation, Lead, LeadState, ReviewerCopy, SlaDeadline

PENDING = "pending"
LIMIT = 500  # a queue longer than this is a staffing problem, not a paging one


@dataclass(frozen=True)
class QueueRow:
    lead_id: UUID
    reference: str
    channel: str
    status: str
    urgency: str | None
    risk_flag: bool  # intake's risk screen saw suicide or self-harm words: a possible crisis
    repeat: bool  # a new inquiry from a person with an open lead
    spam_reason: str | None
    created_at: datetime
    status_changed_at: datetime
    acknowledged_at: datetime | None
    due_at: datetime | None  # the earliest pending deadline (acknowledge, crisis contact)
    due_kind: str | None
    owner_name: str | None
    escalation_step: int
    scope: LeadScope
    crisis_check: str | None = None  # "pending": a possible crisis waiting for a person's decision
    clinical_review: str | None = None  # "pending": contraindications/warnings await a clinician


@dataclass(frozen=True)
class QueueQuery:
    statuses: tuple[str, ...]
    urgency: str | None = None
    channel: str | None = None
    coordinator_id: UUID | None = None  # only leads this coordinator owns
    escalated_only: bool = False  # only leads the ladder has climbed for


def load_queue(session: Session, query: QueueQuery) -> list[QueueRow]:
    statement = (
        select(Lead, LeadState, Coordinator.name)
        .join(LeadState, col(LeadState.lead_id) == col(Lead.id))
        .join(Coordinator, col(Coordinator.id) == col(LeadState.coordinator_id), isouter=True)
        .where(col(LeadState.status).in_(query.statuses))
    )
    if query.urgency:
        statement = statement.where(LeadState.urgency == query.urgency)
    if query.channel:
        statement = statement.where(Lead.channel == query.channel)
    if query.coordinator_id:
        statement = statement.where(LeadState.coordinator_id == query.coordinator_id)
    if query.escalated_only:
        statement = statement.where(col(LeadState.escalation_step) > 0)
    found = session.exec(statement.order_by(col(Lead.created_at).desc()).limit(LIMIT)).all()
    ids = [lead.id for lead, _, _ in found]
    ladder = _by_lead(session, select(Escalation.lead_id, Escalation.coordinator_id), Escalation.lead_id, ids)
    reviewers = _by_lead(
        session, select(ReviewerCopy.lead_id, ReviewerCopy.coordinator_id), ReviewerCopy.lead_id, ids
    )
    due = _next_deadlines(session, ids)
    return [
        QueueRow(
            lead_id=lead.id,
            reference=lead.reference,
            channel=lead.channel,
            status=state.status,
            urgency=state.urgency,
            risk_flag=lead.risk_flag,
            repeat=state.repeat_of_id is not None,
            spam_reason=lead.spam_reason,
            created_at=lead.created_at,
            status_changed_at=state.status_changed_at,
            acknowledged_at=state.acknowledged_at,
            due_at=due.get(lead.id, (None, None))[0],
            due_kind=due.get(lead.id, (None, None))[1],
            owner_name=owner_name,
            escalation_step=state.escalation_step,
            crisis_check=state.crisis_check,
            clinical_review=state.clinical_review,
            scope=LeadScope(
                lead_id=lead.id,
                channel=lead.channel,
                organization=lead.organization,
                created_at=lead.created_at,
                submitted_by_key_id=lead.submitted_by_key_id,
                submitted_by_user_id=lead.submitted_by_user_id,
                status=state.status,
                owner_id=state.coordinator_id,
                ladder_ids=_ids(ladder.get(lead.id)),
                reviewer_ids=_ids(reviewers.get(lead.id)),
                candidate_ids=_ids(state.candidate_ids),
            ),
        )
        for lead, state, owner_name in found
    ]


def _by_lead(session: Session, statement, lead_column, ids: list[UUID]) -> dict[UUID, list]:
    out: dict[UUID, list] = defaultdict(list)
    if ids:
        for lead_id, value in session.exec(statement.where(col(lead_column).in_(ids))).all():
            out[lead_id].append(value)
    return out


def _next_deadlines(session: Session, ids: list[UUID]) -> dict[UUID, tuple[datetime, str]]:
    if not ids:
        return {}
    rows = session.exec(
        select(SlaDeadline.lead_id, SlaDeadline.kind, SlaDeadline.due_at).where(
            col(SlaDeadline.lead_id).in_(ids), SlaDeadline.status == PENDING
        )
    ).all()
    out: dict[UUID, tuple[datetime, str]] = {}
    for lead_id, kind, due_at in rows:
        if lead_id not in out or due_at < out[lead_id][0]:
            out[lead_id] = (due_at, kind)
    return out


def count_by_status(session: Session, statuses: tuple[str, ...]) -> dict[str, int]:
    rows = session.exec(
        select(LeadState.status, func.count())
        .where(col(LeadState.status).in_(statuses))
        .group_by(LeadState.status)
    ).all()
    return dict(rows)
