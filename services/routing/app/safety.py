"""The triage safety net's two decisions, each by a named person in scope (never an email link):

- **Crisis check.** A "possible crisis — confirm" lead (domain/safety.py) rides the crisis lane —
  crisis SLA, pages, ladder — until a coordinator or supervisor confirms it (a crisis: the pages go
  on until someone acknowledges) or downgrades it to urgent or routine with a reason (the crisis
  pages stop and the acknowledgement clock restarts at the new urgency's SLA). Acknowledging is
  refused until then (app/actions.py). One decision per lead; a second answers 409.
- **Clinical review.** Label contraindications and warnings wait for a clinician (the copied
  clinical reviewer, or a supervisor): cleared, not suitable (with a reason code), or needs more
  information. Nothing here closes or rejects the lead: the coordinator still works it.

Both store who, when, what and why (the note encrypted as PHI), write the audit trail, and the
crisis check emits `lead.crisis_confirmed` / `lead.crisis_downgraded` to tell the people already
paged about the lead.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.auth import policy
from shared.caller import Caller
from shared.errors import DomainError, FieldProblem
from shared.events import LeadCrisisConfirmedV1, LeadCrisisDowngradedV1
from shared.logging import get_logger
from shared.schema import (
    ClinicalReviewDecision,
    CrisisCheck,
    CrisisCheckDecision,
    Lead,
    LeadState,
    Role,
    Urgency,
)

from services.routing.app.actions import not_found
from services.routing.app.ports import RoutingRepository
from services.routing.app.route import add_deadline, cancel_deadlines
from services.routing.domain.codes import DeadlineKind
from services.routing.domain.lifecycle import UNACKNOWLEDGED, ActionRefused, is_terminal
from services.routing.domain.safety import NotSuitableReason, ReviewDecision, downgrade_refusal
from services.routing.domain.sla import acknowledge_by

log = get_logger(__name__)
# The acknowledgement deadline restarted by a downgrade: below the ladder's offset (100), so it is
# the assignee's own clock, and apart from the assignment's first one (step × 1000).
DOWNGRADE_CLOCK = 50


def _held(repo: RoutingRepository, caller: Caller, lead_id: UUID) -> tuple[Lead, LeadState]:
    held = repo.lock(lead_id)
    if held is None:
        raise not_found()
    scope = repo.lead_scope(lead_id)
    if scope is None or not policy.may_act(caller, scope):
        raise not_found()
    return held


def _acting_as(caller: Caller) -> UUID | None:
    return caller.coordinator_id if caller.role == Role.coordinator else None


def decide_crisis_check(
    repo: RoutingRepository,
    caller: Caller,
    lead_id: UUID,
    *,
    decision: str,
    urgency: str | None,
    reason: str,
    note: str | None,
    now: datetime,
) -> dict:
    lead, state = _held(repo, caller, lead_id)
    if state.crisis_check is None:
        raise ActionRefused("not_a_possible_crisis", "This lead is not a possible crisis")
    if state.crisis_check != CrisisCheck.pending:
        raise ActionRefused("crisis_check_decided", f"This possible crisis was already {state.crisis_check}")
    if is_terminal(state.status):
        raise ActionRefused("closed", f"A {state.status} lead cannot be decided")
    before = state.urgency or Urgency.crisis
    if decision == "confirm":
        after = Urgency.crisis.value
        state.crisis_check = CrisisCheck.confirmed
    else:
        classification = repo.classification(lead.id)
        refusal = downgrade_refusal(urgency or "", list(classification.evidence) if classification else [])
        if refusal:
            raise DomainError(
                "downgrade_refused",
                422,
                "This downgrade is not allowed",
                refusal,
                errors=[FieldProblem("urgency", "downgrade_refused", refusal)],
            )
        after = str(urgency)
        state.crisis_check = CrisisCheck.downgraded
        state.urgency = after
        _restart_clock(repo, lead, state, now)
    repo.add(state)
    repo.add(
        CrisisCheckDecision(
            lead_id=lead.id,
            decision=state.crisis_check,
            urgency_before=before,
            urgency_after=after,
            reason=reason,
            note=note or None,
            actor=caller.actor,
            coordinator_id=_acting_as(caller),
            decided_at=now,
        )
    )
    repo.audit(
        caller.actor,
        f"lead.crisis_{state.crisis_check}",
        lead.id,
        {"urgency_before": before, "urgency_after": after, "reason": reason},
    )
    told = sorted(
        (repo.escalation_recipients(lead.id) | ({state.coordinator_id} if state.coordinator_id else set()))
        - {_acting_as(caller)},
        key=str,
    )
    event = LeadCrisisConfirmedV1 if state.crisis_check == CrisisCheck.confirmed else LeadCrisisDowngradedV1
    repo.emit(event(lead_id=lead.id, urgency=after, reason=reason, recipient_coordinator_ids=told))
    log.info("crisis_check_decided", lead_id=str(lead.id), decision=state.crisis_check, urgency=after)
    return {
        "lead_id": str(lead.id),
        "crisis_check": state.crisis_check,
        "urgency": after,
        "status": state.status,
    }


def _restart_clock(repo: RoutingRepository, lead: Lead, state: LeadState, now: datetime) -> None:
    """Downgraded: the crisis pages stop, and an unacknowledged lead gets the new urgency's SLA
    from now (the ladder continues from where it stood)."""
    cancel_deadlines(repo, lead.id, now)
    if state.status not in UNACKNOWLEDGED or state.coordinator_id is None:
        return
    latest = repo.latest_assignment(lead.id)
    step = (latest.step if latest else 0) * 1000 + DOWNGRADE_CLOCK
    due = acknowledge_by(state.urgency or Urgency.urgent, now, repo.ruleset().sla)
    add_deadline(repo, lead.id, DeadlineKind.acknowledge, step, state.coordinator_id, due)


def may_review(repo: RoutingRepository, caller: Caller, lead_id: UUID) -> None:
    """Supervisors, and the clinical reviewer copied on this lead. Other staff who may see the lead
    get 403; outside the caller's scope the lead is absent (404)."""
    scope = repo.lead_scope(lead_id)
    if scope is None:
        raise not_found()
    if policy.may_review(caller, scope):
        return
    if caller.role == Role.coordinator and policy.relation(caller.coordinator_id, scope) is not None:
        raise DomainError(
            "clinician_required", 403, "Only the lead's clinical reviewer or a supervisor may review it"
        )
    raise not_found()


def review_lead(
    repo: RoutingRepository,
    caller: Caller,
    lead_id: UUID,
    *,
    decision: str,
    reason: str | None,
    note: str | None,
    now: datetime,
) -> dict:
    held = repo.lock(lead_id)
    if held is None:
        raise not_found()
    may_review(repo, caller, lead_id)
    lead, state = held
    if state.clinical_review is None:
        raise ActionRefused("no_clinical_review", "This lead has no contraindication or warning to review")
    if decision == ReviewDecision.not_suitable and reason not in {r.value for r in NotSuitableReason}:
        raise DomainError(
            "reason_required",
            422,
            "Say why it is not suitable",
            errors=[FieldProblem("reason", "required", "A reason code is required for not_suitable")],
        )
    if decision != ReviewDecision.not_suitable:
        reason = None
    classification = repo.classification(lead.id)
    state.clinical_review = decision
    repo.add(state)
    repo.add(
        ClinicalReviewDecision(
            lead_id=lead.id,
            decision=decision,
            reason=reason,
            note=note or None,
            contraindications=list(classification.contraindications) if classification else [],
            warnings=list(classification.warnings) if classification else [],
            actor=caller.actor,
            coordinator_id=_acting_as(caller),
            decided_at=now,
        )
    )
    repo.audit(caller.actor, "lead.clinical_review", lead.id, {"decision": decision, "reason": reason})
    log.info("clinical_review_recorded", lead_id=str(lead.id), decision=decision)
    return {"lead_id": str(lead.id), "clinical_review": decision, "status": state.status}
