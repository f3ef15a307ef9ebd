"""The email's signed link: who holds it, what they may do, and doing it.

The token names the lead (by its opaque reference) and the coordinator it was sent to. That
coordinator may act as the lead's owner, as a person the escalation ladder told (they may take
the lead over), or as a copied clinical reviewer (who may only look).

A link can be forwarded, so the link alone may only show the PHI-free page and acknowledge (and an
acknowledged crisis still needs contact recorded in time, app/actions.py). Declining — re-routing
the lead or closing it as not eligible — needs a signed-in session of the very person the link
was sent to: the link page sends them through sign-in and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.caller import Caller, CallerKind
from shared.links import LinkClaim, LinkInvalid, verify_token
from shared.schema import OPEN_STATUSES, CrisisCheck, Lead, LeadState, LeadStatus

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
    can_decline: bool  # the owner, signed in as themself
    sign_in_to_decline: bool  # the owner, not signed in (or signed in as someone else)
    # The browser is signed in as the person the link was sent to: the console's lead page (with
    # the person's details, audited there) is theirs to open instead.
    recipient_signed_in: bool = False
    possible_crisis: bool = False  # confirm or downgrade first, signed in: the link cannot


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


def is_recipient(claim: LinkClaim, signed_in: Caller | None) -> bool:
    """Is the browser signed in (a console session, not a key) as the person the link names?"""
    return (
        signed_in is not None
        and signed_in.kind == CallerKind.session
        and signed_in.coordinator_id is not None
        and signed_in.coordinator_id == claim.coordinator_id
    )


def open_link(
    repo: RoutingRepository, reference: str, token: str, signed_in: Caller | None = None
) -> LinkView:
    """Raises LinkInvalid. Every opening is audited."""
    claim, lead, state, relation = _load(repo, reference, token)
    repo.audit(_actor(claim), "lead.link_open", lead.id)
    declinable = relation == Relation.owner and state.status in OPEN_STATUSES
    recipient = is_recipient(claim, signed_in)
    return LinkView(
        reference=lead.reference,
        urgency=state.urgency,
        status=state.status,
        created_at=lead.created_at,
        can_acknowledge=state.status in UNACKNOWLEDGED
        and relation in (Relation.owner, Relation.escalated)
        and state.crisis_check != CrisisCheck.pending,
        acknowledge_label="Acknowledge" if relation == Relation.owner else "Take this lead",
        can_decline=declinable and recipient,
        sign_in_to_decline=declinable and not recipient,
        recipient_signed_in=recipient,
        possible_crisis=state.crisis_check == CrisisCheck.pending,
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


def acknowledge_by_page(repo: RoutingRepository, lead_id, coordinator_id, now: datetime) -> str:
    """An SMS page's reply code: the same rights as the page's link (owner or a person the ladder
    told may acknowledge; anyone else changes nothing). The lead's status afterwards."""
    held = repo.lock(lead_id)
    if held is None:
        return "unknown"
    lead, state = held
    owner = state.coordinator_id == coordinator_id
    if not owner and not (
        state.status in UNACKNOWLEDGED and coordinator_id in repo.escalation_recipients(lead.id)
    ):
        return "not_for_you"
    try:
        return acknowledge(repo, lead, state, coordinator_id, f"sms:{coordinator_id}", now)
    except ActionRefused:
        return state.status


def decline_by_link(
    repo: RoutingRepository,
    reference: str,
    token: str,
    reason: str,
    alternative: str,
    now: datetime,
    signed_in: Caller | None,
) -> str:
    """Words for the result page. Raises LinkInvalid (only the owner may decline, signed in as
    themself: `sign_in_required` / `signed_in_as_someone_else`) or ActionRefused."""
    claim, lead, state, relation = _load(repo, reference, token)
    if relation != Relation.owner:
        raise LinkInvalid("link_not_for_you")
    if signed_in is None:
        raise LinkInvalid("sign_in_required")
    if not is_recipient(claim, signed_in):
        raise LinkInvalid("signed_in_as_someone_else")
    decline(
        repo,
        lead,
        state,
        claim.coordinator_id,
        reason,
        {"kind": alternative} if alternative else None,
        signed_in.actor,
        now,
    )
    if state.status == LeadStatus.not_eligible:
        return "not eligible — alternative recorded"
    if state.coordinator_id != claim.coordinator_id:
        return "declined — sent to another coordinator"
    return state.status
