"""The supervisor dashboard's facts: one row per lead received since a time, with when a person
first acknowledged it, its first acknowledgement deadline, and when the person was first reached
(the lead marked contacted or scheduled, or a call attempt that reached them). Codes and times
only — no PHI. Read-only, batched queries across owners."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import Session, col, select

from shared.schema import AuditEvent, CallAttempt, Classification, Lead, LeadState, SlaDeadline

CONTACT_ACTIONS = ("lead.contacted", "lead.scheduled")
REACHED = "reached"


@dataclass(frozen=True)
class LeadFact:
    lead_id: UUID
    created_at: datetime
    channel: str
    urgency: str | None
    condition: str | None
    referrer: str | None
    status: str
    acknowledged_at: datetime | None
    acknowledge_due: datetime | None  # the first SLA deadline (step 0)
    first_contact_at: datetime | None


def load_lead_facts(session: Session, since: datetime) -> list[LeadFact]:
    rows = session.exec(
        select(Lead, LeadState, Classification.primary_condition)
        .join(LeadState, col(LeadState.lead_id) == col(Lead.id), isouter=True)
        .join(Classification, col(Classification.lead_id) == col(Lead.id), isouter=True)
        .where(col(Lead.created_at) >= since)
    ).all()
    ids = [lead.id for lead, _, _ in rows]
    due = _min_by_lead(
        session,
        select(SlaDeadline.lead_id, func.min(SlaDeadline.due_at)).where(
            SlaDeadline.kind == "acknowledge", SlaDeadline.step == 0
        ),
        SlaDeadline.lead_id,
        ids,
    )
    contacted = _min_by_lead(
        session,
        select(AuditEvent.lead_id, func.min(AuditEvent.at)).where(
            col(AuditEvent.action).in_(CONTACT_ACTIONS)
        ),
        AuditEvent.lead_id,
        ids,
    )
    reached = _min_by_lead(
        session,
        select(CallAttempt.lead_id, func.min(CallAttempt.created_at)).where(CallAttempt.outcome == REACHED),
        CallAttempt.lead_id,
        ids,
    )
    out = []
    for lead, state, condition in rows:
        contacts = [t for t in (contacted.get(lead.id), reached.get(lead.id)) if t is not None]
        out.append(
            LeadFact(
                lead_id=lead.id,
                created_at=lead.created_at,
                channel=lead.channel,
                urgency=state.urgency if state else None,
                condition=condition,
                referrer=lead.organization,
                status=state.status if state else "received",
                acknowledged_at=state.acknowledged_at if state else None,
                acknowledge_due=due.get(lead.id),
                first_contact_at=min(contacts) if contacts else None,
            )
        )
    return out


def _min_by_lead(session: Session, statement, lead_column, ids: list[UUID]) -> dict[UUID, datetime]:
    if not ids:
        return {}
    found = session.exec(statement.where(col(lead_column).in_(ids)).group_by(lead_column)).all()
    return {lead_id: at for lead_id, at in found if at is not None}
