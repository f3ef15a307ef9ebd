"""A referral's progress as its referrer sees it: the status trail notify keeps (`referral_update`,
one row per FHIR Task status reached), the lead's reference, and the alternative offered when the
clinic could not take the person (routing's `lead_state`). Read-only, for FHIR Task reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.schema import Lead, LeadState, LeadStatus, ReferralUpdate


@dataclass(frozen=True)
class TrailRow:
    status: str
    reason: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class ReferralProgress:
    lead_id: UUID
    reference: str
    lead_status: str
    alternative: dict | None
    trail: list[TrailRow]


def load_referral_progress(session: Session, lead_ids: list[UUID]) -> dict[UUID, ReferralProgress]:
    if not lead_ids:
        return {}
    leads = session.exec(select(Lead.id, Lead.reference).where(col(Lead.id).in_(lead_ids))).all()
    states = {
        s.lead_id: s
        for s in session.exec(select(LeadState).where(col(LeadState.lead_id).in_(lead_ids))).all()
    }
    trails: dict[UUID, list[TrailRow]] = {}
    rows = session.exec(
        select(ReferralUpdate)
        .where(col(ReferralUpdate.lead_id).in_(lead_ids))
        .order_by(col(ReferralUpdate.occurred_at))
    ).all()
    for row in rows:
        trails.setdefault(row.lead_id, []).append(TrailRow(row.status, row.reason, row.occurred_at))
    out = {}
    for lead_id, reference in leads:
        state = states.get(lead_id)
        out[lead_id] = ReferralProgress(
            lead_id=lead_id,
            reference=reference,
            lead_status=state.status if state else LeadStatus.received.value,
            alternative=state.alternative if state else None,
            trail=trails.get(lead_id, []),
        )
    return out


def leads_with_trail_since(since: datetime):
    """A subquery of the lead ids whose trail gained a row at or after `since` (polling filters)."""
    return select(ReferralUpdate.lead_id).where(col(ReferralUpdate.occurred_at) >= since)
