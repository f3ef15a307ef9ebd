"""The email's signed link: who holds it, what they may do, and doing it.

The token names the lead (by its opaque reference) and the coordinator it was sent to. That
coordinator may act as the lead's owner, as a person the escalation ladder told (they may take
the lead over), or as a copied clinical reviewer (who may only look).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.links import LinkClaim, LinkInvalid, verify_token
from shared.schema import OPEN_STATUSES, Lead, LeadState, LeadStatus

from services.routing.app.actions import acknowledge, decline
from services.routing.app.ports import RoutingRepository
from services.routing.domain.lifecycle import UNACKNOWLEDGED, ActionRefused


class Relation(StrEnum):
    owner = "owner"
    escalated = "escalated"  # told by the ladder: may take the lead
    reviewer = "reviewer"  # a clinical reviewer's copy: may only look


@dataclass(frozen=True)
class LinkView:
    """What the link page shows (no PHI) and which actions it offers."""

    reference: str
    urgency: str | None
    status: str
    created_at: datetime
    can_acknowledge: bool
    acknowledge_label: str
    can_decline: bool


def _load(repo: RoutingRepository, reference: str, token: str) -> tuple[LinkClaim, Lead, LeadState, Relation]:
    claim = verify_token(token, reference)
    held = repo.lock_by_reference(reference)
    if held is None:
        raise LinkInvalid("link_invalid")
    lead, state = held
    who = claim.coordinator_id
    if state.coordinator_id == who:
        return claim, lead, state, Relation.owner
    if state.status in UNACKNOWLEDGED and who in repo.escalation_recipients(lead.id):
        return claim, lead, state, Relation.escalated
    if repo.reviewer_copy(lead.id, who) is not None:
        return claim, lead, state, Relation.reviewer
    raise LinkInvalid("link_not_for_you")


def _actor(claim: LinkClaim) -> str:
    return f"link:{claim.coordinator_id}"


def open_link(repo: RoutingRepository, reference: str, token: str) -> LinkView:
    """Raises LinkInvalid. Every opening is audited."""
    claim, lead, state, relation = _load(repo, reference, token)
    repo.audit(_actor(claim), "lead.link_open", lead.id)
    return LinkView(
        reference=lead.reference,
        urgency=state.urgency,
        status=state.status,
        created_at=lead.created_at,
        can_acknowledge=state.status in UNACKNOWLEDGED and relation in (Relation.owner, Relation.escalated),
        acknowledge_label="Acknowledge" if relation == Relation.owner else "Take this lead",
        can_decline=relation == Relation.owner and state.status in OPEN_STATUSES,
    )


def acknowledge_by_link(repo: RoutingRepository, reference: str, token: str, now: datetime) -> str:
    """The lead's status afterwards. Raises LinkInvalid (a reviewer may not acknowledge)."""
    claim, lead, state, relation = _load(repo, reference, token)
    if relation == Relation.reviewer:
        raise LinkInvalid("link_not_for_you")
    try:
        return acknowledge(repo, lead, state, claim.coordinator_id, _actor(claim), now)
    except ActionRefused:
        return state.status


def decline_by_link(
    repo: RoutingRepository, reference: str, token: str, reason: str, alternative: str, now: datetime
) -> str:
    """Words for the result page. Raises LinkInvalid (only the owner may decline) or ActionRefused."""
    claim, lead, state, relation = _load(repo, reference, token)
    if relation != Relation.owner:
        raise LinkInvalid("link_not_for_you")
    decline(
        repo,
        lead,
        state,
        claim.coordinator_id,
        reason,
        {"kind": alternative} if alternative else None,
        _actor(claim),
        now,
    )
    if state.status == LeadStatus.not_eligible:
        return "not eligible — alternative recorded"
    if state.coordinator_id != claim.coordinator_id:
        return "declined — sent to another coordinator"
    return state.status
