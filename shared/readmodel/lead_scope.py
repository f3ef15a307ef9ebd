"""The facts access decisions need about one lead (shared/auth/policy.py's `LeadScope`): who
submitted it, whom it is assigned to, who the ladder told, who holds a reviewer copy, which pool
the routing decision considered. Read-only queries across owners; no PHI."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import Session, select

from shared.auth.policy import LeadScope
from shared.schema import Escalation, Lead, LeadState, LeadStatus, ReviewerCopy


def _ids(values) -> frozenset[UUID]:
    out = set()
    for value in values or ():
        try:
            out.add(value if isinstance(value, UUID) else UUID(str(value)))
        except ValueError:
            continue
    return frozenset(out)


def load_lead_scope(session: Session, lead_id: UUID) -> LeadScope | None:
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    state = session.get(LeadState, lead_id)
    ladder = session.exec(select(Escalation.coordinator_id).where(Escalation.lead_id == lead_id)).all()
    reviewers = session.exec(select(ReviewerCopy.coordinator_id).where(ReviewerCopy.lead_id == lead_id)).all()
    return LeadScope(
        lead_id=lead.id,
        channel=lead.channel,
        organization=lead.organization,
        created_at=lead.created_at,
        submitted_by_key_id=lead.submitted_by_key_id,
        submitted_by_user_id=lead.submitted_by_user_id,
        status=state.status if state else LeadStatus.received.value,
        owner_id=state.coordinator_id if state else None,
        ladder_ids=_ids(ladder),
        reviewer_ids=_ids(reviewers),
        candidate_ids=_ids(state.candidate_ids if state else None),
    )
