"""What coordinators and supervisors do to a lead: acknowledge, claim, decline (with a reason
code), reassign, move the status on.

A coordinator (key or signed-in account) acts as the coordinator it is bound to, on leads assigned
to them or sent to them by the escalation ladder, and may claim a waiting lead of a pool they
belong to; a supervisor on any lead of the clinic (shared/auth/policy.py). Admins configure and do
not work leads. Outside the caller's scope, every action answers 404. Each use case takes the
caller and a lead id and returns what the API answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from shared.auth import policy
from shared.caller import Caller
from shared.errors import DomainError
from shared.events import ReferralStatusChangedV1
from shared.schema import OPEN_STATUSES, Channel, CrisisCheck, Lead, LeadState, LeadStatus, Role, Urgency
from shared.settings import get_settings

from services.routing.app.ports import RoutingRepository
from services.routing.app.route import ACTOR, add_deadline, assign, cancel_deadlines, route
from services.routing.domain.codes import AssignmentKind, DeadlineKind
from services.routing.domain.lifecycle import (
    CLAIMABLE,
    REASSIGNABLE,
    TRANSITIONS,
    UNACKNOWLEDGED,
    ActionRefused,
    Alternative,
    CannotServeReason,
    CloseReason,
    check_transition,
    is_cannot_serve,
    is_reroute,
    is_terminal,
)

MANAGERS = (Role.supervisor,)
STAFF = (Role.coordinator, *MANAGERS)

Action = Callable[[RoutingRepository, Lead, LeadState], str]


# --- the API's use cases: find the lead, check the caller may act on it, act -----------------------


def acknowledge_lead(repo: RoutingRepository, caller: Caller, lead_id: UUID, now: datetime) -> dict:
    def act(repo, lead, state):
        may_act(repo, caller, lead, state)
        return acknowledge(repo, lead, state, _acting_as(caller), caller.actor, now)

    return _act(repo, lead_id, act)


def claim_lead(
    repo: RoutingRepository, caller: Caller, lead_id: UUID, on_behalf_of: UUID | None, now: datetime
) -> dict:
    def act(repo, lead, state):
        may_act(repo, caller, lead, state, claim=True)
        who = on_behalf_of if caller.role in MANAGERS and on_behalf_of else caller.coordinator_id
        if who is None:
            raise DomainError("coordinator_required", 422, "Say who claims it (coordinator_id)")
        return claim(repo, lead, state, who, caller.actor, now)

    return _act(repo, lead_id, act)


def decline_lead(
    repo: RoutingRepository,
    caller: Caller,
    lead_id: UUID,
    reason: str,
    alternative: dict | None,
    now: datetime,
) -> dict:
    def act(repo, lead, state):
        may_act(repo, caller, lead, state)
        return decline(repo, lead, state, _acting_as(caller), reason, alternative, caller.actor, now)

    return _act(repo, lead_id, act)


def reassign_lead(
    repo: RoutingRepository, caller: Caller, lead_id: UUID, coordinator_id: UUID, now: datetime
) -> dict:
    def act(repo, lead, state):
        may_act(repo, caller, lead, state)
        return reassign(repo, lead, state, coordinator_id, caller.actor, now)

    return _act(repo, lead_id, act)


def set_lead_status(
    repo: RoutingRepository,
    caller: Caller,
    lead_id: UUID,
    status: str,
    reason: str | None,
    alternative: dict | None,
    now: datetime,
) -> dict:
    def act(repo, lead, state):
        may_act(repo, caller, lead, state)
        return set_status(repo, lead, state, status, reason, alternative, caller.actor, now)

    return _act(repo, lead_id, act)


def _act(repo: RoutingRepository, lead_id: UUID, action: Action) -> dict:
    held = repo.lock(lead_id)
    if held is None:
        raise not_found()
    lead, state = held
    status = action(repo, lead, state)
    return {
        "lead_id": str(lead.id),
        "status": status,
        "coordinator_id": str(state.coordinator_id) if state.coordinator_id else None,
    }


def _acting_as(caller: Caller) -> UUID | None:
    """A coordinator acts as themself; a manager acts on the lead as it stands."""
    return caller.coordinator_id if caller.role == Role.coordinator else None


def not_found() -> DomainError:
    return DomainError("not_found", 404, "No such lead")


def may_act(
    repo: RoutingRepository, caller: Caller, lead: Lead, state: LeadState, *, claim: bool = False
) -> None:
    """Outside the caller's scope the lead is, for them, absent (404)."""
    scope = repo.lead_scope(lead.id)
    if scope is None or not policy.may_act(caller, scope, claim=claim):
        raise not_found()


# --- the actions themselves (also used by the email's signed-link page) ----------------------------


def _tell_referrer(repo: RoutingRepository, lead: Lead, status: str, reason: str | None = None) -> None:
    if lead.channel == Channel.referral:
        repo.emit(ReferralStatusChangedV1(lead_id=lead.id, status=status, reason=reason))


def acknowledge(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    coordinator_id: UUID | None,
    actor: str,
    now: datetime,
) -> str:
    """Stops the SLA clock. By someone other than the assignee (a backup from an escalation email),
    it is a claim: the lead moves to them."""
    if state.status not in UNACKNOWLEDGED:
        if state.status == LeadStatus.acknowledged:
            return state.status  # twice is once
        raise ActionRefused("not_acknowledgeable", f"A {state.status} lead cannot be acknowledged")
    refuse_while_possible_crisis(state)
    if coordinator_id is not None and coordinator_id != state.coordinator_id:
        return claim(repo, lead, state, coordinator_id, actor, now)
    owner = repo.coordinator(state.coordinator_id)
    if owner is not None:
        owner.consecutive_timeouts = 0
        repo.add(owner)
    state.status = LeadStatus.acknowledged
    state.acknowledged_at = now
    state.status_changed_at = now
    repo.add(state)
    cancel_deadlines(repo, lead.id, now)
    repo.audit(actor, "lead.acknowledge", lead.id)
    start_contact_clock(repo, lead, state, now)
    _tell_referrer(repo, lead, "accepted")
    return state.status


def refuse_while_possible_crisis(state: LeadState) -> None:
    """A possible crisis is confirmed or downgraded first, by a signed-in person (app/safety.py):
    acknowledging would stop the crisis pages before anyone decided it is not a crisis."""
    if state.crisis_check == CrisisCheck.pending:
        raise ActionRefused("crisis_check_pending", "Confirm or downgrade this possible crisis first")


def start_contact_clock(repo: RoutingRepository, lead: Lead, state: LeadState, now: datetime) -> None:
    """An acknowledged crisis must be followed by contact: a forwarded email's click (or a busy
    coordinator's) must not silence the pages for good. If nobody records contact by the deadline,
    the deadline sweep resumes the pages and moves the ladder on (app/deadlines.py)."""
    if state.urgency != Urgency.crisis:
        return
    earlier = [d for d in repo.deadlines(lead.id) if d.kind == DeadlineKind.contact]
    due = now + timedelta(seconds=get_settings().crisis_ack_contact_seconds)
    add_deadline(repo, lead.id, DeadlineKind.contact, len(earlier), state.coordinator_id, due)
    repo.audit(ACTOR, "lead.contact_clock", lead.id, {"due_at": due.isoformat()})


def _active_coordinator(repo: RoutingRepository, coordinator_id: UUID):
    coordinator = repo.coordinator(coordinator_id)
    if coordinator is None or not coordinator.active:
        raise ActionRefused("no_such_coordinator", "That coordinator is not active", 422)
    return coordinator


def claim(
    repo: RoutingRepository, lead: Lead, state: LeadState, coordinator_id: UUID, actor: str, now: datetime
) -> str:
    if state.status not in CLAIMABLE:
        raise ActionRefused("not_claimable", f"A {state.status} lead cannot be claimed")
    refuse_while_possible_crisis(state)
    coordinator = _active_coordinator(repo, coordinator_id)
    text = f"claimed by {coordinator.name}"
    assign(
        repo,
        lead,
        state,
        coordinator_id,
        now,
        kind=AssignmentKind.claim,
        reason=text,
        rule=("claim", None),
        explanation={
            "via": "claim",
            "chosen": {"id": str(coordinator_id), "name": coordinator.name},
            "text": text,
        },
        acknowledged=True,
    )
    repo.audit(actor, "lead.acknowledge", lead.id, {"claim": True})
    start_contact_clock(repo, lead, state, now)
    _tell_referrer(repo, lead, "accepted")
    return state.status


def decline(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    coordinator_id: UUID | None,
    reason: str,
    alternative: dict | None,
    actor: str,
    now: datetime,
) -> str:
    """A reroute reason sends the lead to someone else; a cannot-serve reason closes it as not
    eligible, with the alternative the person was offered."""
    if is_cannot_serve(reason):
        if not alternative or alternative.get("kind") not in {a.value for a in Alternative}:
            raise ActionRefused(
                "alternative_required", "A lead the clinic cannot serve must be offered an alternative", 422
            )
        if is_terminal(state.status):
            raise ActionRefused("closed", f"A {state.status} lead cannot be declined")
        state.status = LeadStatus.not_eligible
        state.outcome_reason = reason
        state.alternative = alternative
        state.status_changed_at = now
        repo.add(state)
        cancel_deadlines(repo, lead.id, now)
        repo.audit(
            actor, "lead.not_eligible", lead.id, {"reason": reason, "alternative": alternative.get("kind")}
        )
        _tell_referrer(repo, lead, "rejected", reason)
        return state.status
    if not is_reroute(reason):
        raise ActionRefused("unknown_reason", "Unknown decline reason", 422)
    if state.status not in OPEN_STATUSES:
        raise ActionRefused("not_declinable", f"A {state.status} lead cannot be declined")
    decliner = coordinator_id or state.coordinator_id
    repo.audit(actor, "lead.decline", lead.id, {"coordinator_id": str(decliner), "reason": reason})
    repo.flush()
    route(repo, lead, state, now, exclude=repo.decliners(lead.id), kind=AssignmentKind.reroute)
    return state.status


def reassign(
    repo: RoutingRepository, lead: Lead, state: LeadState, coordinator_id: UUID, actor: str, now: datetime
) -> str:
    if state.status not in REASSIGNABLE:
        raise ActionRefused("not_reassignable", f"A {state.status} lead cannot be reassigned")
    coordinator = _active_coordinator(repo, coordinator_id)
    text = f"reassigned to {coordinator.name}"
    assign(
        repo,
        lead,
        state,
        coordinator_id,
        now,
        kind=AssignmentKind.reassign,
        reason=text,
        rule=("reassign", None),
        reassigned=True,
        explanation={
            "via": "reassign",
            "chosen": {"id": str(coordinator_id), "name": coordinator.name},
            "by": actor,
            "text": text,
        },
    )
    repo.audit(actor, "lead.reassign_request", lead.id, {"coordinator_id": str(coordinator_id)})
    return state.status


def set_status(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    status: str,
    reason: str | None,
    alternative: dict | None,
    actor: str,
    now: datetime,
) -> str:
    if state.status == status and status in TRANSITIONS:
        return status
    check_transition(state.status, status)
    if status == LeadStatus.not_eligible:
        code = reason if is_cannot_serve(reason or "") else CannotServeReason.not_eligible_other
        return decline(repo, lead, state, None, code, alternative, actor, now)
    if status == LeadStatus.closed and reason is not None and reason not in {r.value for r in CloseReason}:
        raise ActionRefused("unknown_reason", "Unknown close reason", 422)
    state.status = status
    state.outcome_reason = reason if status == LeadStatus.closed else state.outcome_reason
    state.status_changed_at = now
    repo.add(state)
    cancel_deadlines(repo, lead.id, now, kind=DeadlineKind.contact)  # contact recorded
    repo.audit(actor, f"lead.{status}", lead.id, {"reason": reason})
    if status == LeadStatus.scheduled:
        _tell_referrer(repo, lead, "in-progress", "scheduled")
    elif status == LeadStatus.closed and reason == CloseReason.first_visit_completed:
        _tell_referrer(repo, lead, "completed", reason)
    return status
