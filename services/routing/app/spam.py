"""The spam-review list's two decisions, a supervisor's: release a held lead (it was a person:
route it now, as if the defence had not fired) or discard it (closed as spam, kept for the record:
never deleted). A lead not in `spam_review` refuses both (409); outside scope is 404."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.auth import policy
from shared.caller import Caller
from shared.schema import LeadStatus

from services.routing.app.actions import not_found
from services.routing.app.ports import RoutingRepository
from services.routing.app.route import cancel_deadlines, route
from services.routing.domain.lifecycle import ActionRefused

SPAM = "spam"


def _held(repo: RoutingRepository, caller: Caller, lead_id: UUID):
    held = repo.lock(lead_id)
    scope = repo.lead_scope(lead_id) if held else None
    if held is None or scope is None or not policy.supervises(caller, scope):
        raise not_found()
    lead, state = held
    if state.status != LeadStatus.spam_review:
        raise ActionRefused("not_held", f"A {state.status} lead is not held for spam review")
    return lead, state


def release_lead(repo: RoutingRepository, caller: Caller, lead_id: UUID, now: datetime) -> str:
    lead, state = _held(repo, caller, lead_id)
    state.status = LeadStatus.classified  # routable again: route() takes it from here
    state.status_changed_at = now
    repo.add(state)
    repo.audit(caller.actor, "lead.spam_release", lead.id, {"spam_reason": lead.spam_reason})
    repo.flush()
    route(repo, lead, state, now)
    return state.status


def discard_lead(repo: RoutingRepository, caller: Caller, lead_id: UUID, now: datetime) -> str:
    lead, state = _held(repo, caller, lead_id)
    state.status = LeadStatus.closed
    state.outcome_reason = SPAM
    state.status_changed_at = now
    repo.add(state)
    cancel_deadlines(repo, lead.id, now)
    repo.audit(caller.actor, "lead.spam_discard", lead.id, {"spam_reason": lead.spam_reason})
    return state.status
