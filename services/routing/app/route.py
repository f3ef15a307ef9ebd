"""Route a lead: load what the decision needs, let the engine decide, write the assignment, its SLA
deadlines and `lead.routed` — or mark the lead waiting. Repeat contacts go back to their owner.

Every function takes a repository holding one transaction (the caller commits) and `now`, so
tests and the sweepers control the clock.
"""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from uuid import UUID

from shared.errors import TransientError
from shared.events import LeadClassifiedV1, LeadRoutedV1
from shared.logging import get_logger
from shared.schema import (
    Assignment,
    CrisisCheck,
    Lead,
    LeadState,
    LeadStatus,
    ReviewerCopy,
    SlaDeadline,
    Urgency,
)

from services.routing.app.coverage import raise_alert
from services.routing.app.ports import RoutingRepository
from services.routing.domain.codes import AlertKind, AssignmentKind, DeadlineKind, DeadlineStatus, Severity
from services.routing.domain.directory import Person, out_of_office_until
from services.routing.domain.engine import Decision, LeadFacts, Via, WaitReason, decide
from services.routing.domain.lifecycle import ROUTABLE, raises_urgency
from services.routing.domain.oncall import on_call_at
from services.routing.domain.safety import review_reasons
from services.routing.domain.sla import acknowledge_by

log = get_logger(__name__)
REPEAT_WINDOW = timedelta(days=30)
ACTOR = "task:routing"


class NobodyToRouteTo(TransientError):
    """No active coordinator at all: retried, and the sweeper keeps trying; health shows it."""


def route_classified(repo: RoutingRepository, event: LeadClassifiedV1, now: datetime) -> str:
    """`lead.classified`: route the lead once (a redelivered event finds it routed and stops)."""
    held = repo.lock(event.lead_id)
    if held is None or held[1].status not in ROUTABLE:
        log.info("route_skipped", reason="not_routable" if held else "no_such_lead")
        return "skipped"
    lead, state = held
    decision = route(repo, lead, state, now, correlation_id=event.correlation_id)
    if decision is not None and decision.wait == WaitReason.no_active_coordinator:
        log.error("no_coordinator_available", urgency=state.urgency)
        raise NobodyToRouteTo("no active coordinator")
    return state.status


def facts(repo: RoutingRepository, lead: Lead, state: LeadState) -> LeadFacts:
    c = repo.classification(lead.id)
    flags = tuple(c.flags) if c else ()
    language = "es" if "spanish_language" in flags else lead.language
    return LeadFacts(
        urgency=state.urgency or Urgency.urgent,
        conditions=tuple(c.conditions) if c else (),
        primary_condition=c.primary_condition if c else None,
        veteran=bool(c and c.veteran),
        language=language,
        flags=flags,
        channel=lead.channel,
        organization=lead.organization,
        region=lead.region,
        review_reasons=review_reasons(c.contraindications, c.warnings) if c else (),
    )


def route(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    now: datetime,
    *,
    exclude: set[UUID] = frozenset(),
    kind: AssignmentKind = AssignmentKind.route,
    correlation_id: str | None = None,
    rng: random.Random | None = None,
) -> Decision | None:
    """Assign a locked lead (or mark it waiting). Returns the decision (None for a repeat contact)."""
    lead_facts = facts(repo, lead, state)
    repo.lock_coordinators()
    people = repo.directory(now)
    by_id = {p.id: p for p in people}
    ruleset = repo.ruleset()

    if kind == AssignmentKind.route:
        prior = repo.open_lead_with_same_contact(lead, now - REPEAT_WINDOW)
        owner = by_id.get(prior[1].coordinator_id) if prior else None
        if owner is not None and owner.active and out_of_office_until(owner, now) is None:
            _assign_repeat(repo, lead, state, prior, owner, lead_facts, now, correlation_id)
            return None

    on_call = on_call_at(repo.schedule(), by_id, now)
    decision = decide(lead_facts, people, ruleset, now, on_call, rng=rng, exclude=set(exclude))
    state.candidate_ids = [str(c) for c in decision.candidates]  # the pool that may read it
    if decision.chosen is None:
        _wait(repo, lead, state, decision, now)
        return decision
    if decision.via == Via.last_resort:
        raise_alert(
            repo,
            AlertKind.coverage_gap,
            f"lead:{lead.id}",
            Severity.critical,
            lead_id=lead.id,
            detail={"reason": "crisis lead found nobody on call"},
        )
    assignment = assign(
        repo,
        lead,
        state,
        decision.chosen.id,
        now,
        kind=AssignmentKind.on_call if decision.via == Via.on_call else kind,
        reason=decision.text,
        rule=(decision.rule.name, decision.rule.version),
        explanation=decision.as_data(),
        reassigned=kind != AssignmentKind.route,
        correlation_id=correlation_id,
    )
    for reviewer in decision.reviewers:
        if repo.reviewer_copy(lead.id, reviewer.id) is None:
            repo.add(ReviewerCopy(lead_id=lead.id, coordinator_id=reviewer.id, flags=decision.review_flags))
            repo.emit(
                LeadRoutedV1(
                    lead_id=lead.id,
                    assignment_id=assignment.id,
                    coordinator_id=reviewer.id,
                    urgency=lead_facts.urgency,
                    step=assignment.step,
                    correlation_id=correlation_id,
                )
            )
    log.info(
        "lead_routed",
        lead_id=str(lead.id),
        coordinator_id=str(decision.chosen.id),
        rule=decision.rule.name,
        rule_version=decision.rule.version,
        via=decision.via,
        pid=os.getpid(),
    )
    return decision


def _wait(repo: RoutingRepository, lead: Lead, state: LeadState, decision: Decision, now: datetime) -> None:
    state.status = LeadStatus.waiting
    state.coordinator_id = None
    state.route_after = decision.wait_until
    state.waiting_reason = (decision.wait_reason or "")[:200]
    state.status_changed_at = now
    repo.add(state)
    repo.audit(ACTOR, "lead.wait", lead.id, {"explanation": decision.as_data()})
    log.info("lead_waiting", lead_id=str(lead.id), rule=decision.rule.name, until=str(decision.wait_until))


def _assign_repeat(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    prior: tuple[Lead, LeadState],
    owner: Person,
    lead_facts: LeadFacts,
    now: datetime,
    correlation_id: str | None,
) -> None:
    prior_lead, prior_state = prior
    raised = raises_urgency(lead_facts.urgency, prior_state.urgency)
    if raised:
        prior_state.urgency = lead_facts.urgency
        repo.add(prior_state)
        repo.audit(
            ACTOR,
            "lead.urgency_raised",
            prior_lead.id,
            {"urgency": lead_facts.urgency, "by_lead": str(lead.id)},
        )
    state.repeat_of_id = prior_lead.id
    text = f"repeat contact of open lead {prior_lead.reference}; same coordinator → {owner.name}" + (
        f"; urgency of {prior_lead.reference} raised to {lead_facts.urgency}" if raised else ""
    )
    explanation = {
        "rule": "repeat-contact",
        "rule_version": None,
        "via": "repeat",
        "repeat_of": str(prior_lead.id),
        "chosen": {"id": str(owner.id), "name": owner.name},
        "urgency_raised": raised,
        "text": text,
    }
    assign(
        repo,
        lead,
        state,
        owner.id,
        now,
        kind=AssignmentKind.repeat,
        reason=text,
        rule=("repeat-contact", None),
        explanation=explanation,
        repeat=True,
        correlation_id=correlation_id,
    )
    log.info(
        "lead_routed_repeat",
        lead_id=str(lead.id),
        repeat_of=str(prior_lead.id),
        coordinator_id=str(owner.id),
        urgency_raised=raised,
    )


def assign(
    repo: RoutingRepository,
    lead: Lead,
    state: LeadState,
    coordinator_id: UUID,
    now: datetime,
    *,
    kind: AssignmentKind,
    reason: str,
    rule: tuple,
    explanation: dict,
    reassigned: bool = False,
    repeat: bool = False,
    correlation_id: str | None = None,
    acknowledged: bool = False,
) -> Assignment:
    """Give the lead to a coordinator: the assignment row, the SLA clock (unless it is acknowledged
    at once, as a claim is) and `lead.routed` for their email."""
    ruleset = repo.ruleset()
    step = repo.next_step(lead.id)
    assignment = Assignment(
        lead_id=lead.id,
        coordinator_id=coordinator_id,
        step=step,
        reason=reason[:500],
        kind=kind,
        rule_name=rule[0],
        rule_version=rule[1],
        explanation=explanation,
        created_at=now,
    )
    repo.add(assignment)
    coordinator = repo.coordinator(coordinator_id)
    coordinator.last_assigned_at = now
    repo.add(coordinator)
    cancel_deadlines(repo, lead.id, now)
    state.coordinator_id = coordinator_id
    state.escalation_step = 0
    state.route_after = None
    state.waiting_reason = None
    state.status_changed_at = now
    urgency = state.urgency or Urgency.urgent
    due = acknowledge_by(urgency, now, ruleset.sla)
    if acknowledged:
        state.status = LeadStatus.acknowledged
        state.acknowledged_at = now
    else:
        state.status = LeadStatus.routed
        add_deadline(repo, lead.id, DeadlineKind.acknowledge, step * 1000, coordinator_id, due)
        if urgency == Urgency.crisis:
            repeat_at = now + timedelta(minutes=ruleset.escalation.crisis_repeat_minutes)
            add_deadline(
                repo, lead.id, DeadlineKind.crisis_repeat, step * 1000 + 1, coordinator_id, repeat_at
            )
    repo.add(state)
    repo.audit(
        ACTOR,
        f"lead.{kind}",
        lead.id,
        {"coordinator_id": str(coordinator_id), "step": step, "rule": rule[0], "rule_version": rule[1]},
    )
    repo.flush()
    if not acknowledged:
        repo.emit(
            LeadRoutedV1(
                lead_id=lead.id,
                assignment_id=assignment.id,
                coordinator_id=coordinator_id,
                urgency=urgency,
                step=step,
                acknowledge_by=due,
                repeat_contact=repeat,
                reassigned=reassigned,
                possible_crisis=state.crisis_check == CrisisCheck.pending,
                correlation_id=correlation_id,
            )
        )
    return assignment


def add_deadline(
    repo: RoutingRepository,
    lead_id: UUID,
    kind: DeadlineKind,
    step: int,
    coordinator_id: UUID | None,
    due: datetime,
) -> None:
    if not repo.deadline_exists(lead_id, kind, step):
        repo.add(
            SlaDeadline(lead_id=lead_id, kind=kind, step=step, coordinator_id=coordinator_id, due_at=due)
        )


def cancel_deadlines(
    repo: RoutingRepository, lead_id: UUID, now: datetime, kind: DeadlineKind | None = None
) -> None:
    for deadline in repo.pending_deadlines(lead_id):
        if kind is None or deadline.kind == kind:
            deadline.status = DeadlineStatus.cancelled
            deadline.fired_at = now
            repo.add(deadline)
