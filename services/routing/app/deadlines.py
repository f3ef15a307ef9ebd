"""Timers as rows: fire due SLA deadlines (the escalation ladder, repeated crisis pages) and send
waiting leads back to routing when their time comes.

Each due deadline is fired in its own transaction (so locks stay short and one failure stops only
itself); a deadline already fired or cancelled by someone else is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from uuid import UUID

from shared.events import LeadClassifiedV1, LeadEscalatedV1
from shared.logging import get_logger
from shared.schema import Escalation, Lead, LeadState, LeadStatus, Urgency

from services.routing.app.coverage import raise_alert
from services.routing.app.ports import RoutingRepository
from services.routing.app.route import ACTOR, add_deadline, cancel_deadlines
from services.routing.domain.codes import AlertKind, DeadlineKind, DeadlineStatus, EscalationCause, Severity
from services.routing.domain.lifecycle import UNACKNOWLEDGED
from services.routing.domain.oncall import on_call_at
from services.routing.domain.sla import next_rung, step_minutes

log = get_logger(__name__)
UnitOfWork = Callable[[], AbstractContextManager[RoutingRepository]]
# Deadline steps: assignment step × 1000, plus 100 + ladder step for the ladder's own deadlines,
# or + page number for crisis repeats; so each (lead, kind, step) is unique.
LADDER_OFFSET = 100


def sweep(uow: UnitOfWork, now: datetime, limit: int = 200) -> dict[str, int]:
    """Fire every due deadline, then redispatch waiting leads whose time has come."""
    with uow() as repo:
        due = repo.due_deadlines(now, limit)
    outcomes: dict[str, int] = {}
    for deadline_id in due:
        with uow() as repo:
            outcome = fire_deadline(repo, deadline_id, now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    with uow() as repo:
        waiting = redispatch_waiting(repo, now)
    if waiting:
        outcomes["waiting_redispatched"] = waiting
    return outcomes


def fire_deadline(repo: RoutingRepository, deadline_id: UUID, now: datetime) -> str:
    # Lock order everywhere: the lead's state, then coordinators / deadlines.
    lead_id = repo.lead_of_deadline(deadline_id)
    if lead_id is None:
        return "gone"
    held = repo.lock(lead_id)
    deadline = repo.lock_deadline(deadline_id)
    if deadline is None or deadline.status != DeadlineStatus.pending:
        return "gone"
    deadline.status = DeadlineStatus.fired
    deadline.fired_at = now
    repo.add(deadline)
    if deadline.kind == DeadlineKind.contact:
        if held is None or held[1].status != LeadStatus.acknowledged:
            deadline.status = DeadlineStatus.cancelled  # contact recorded (or the lead moved on)
            return "cancelled"
        resume_crisis_pages(repo, *held, now)
        return "contact_overdue"
    if held is None or held[1].status not in UNACKNOWLEDGED:
        deadline.status = DeadlineStatus.cancelled
        return "cancelled"
    lead, state = held
    if deadline.kind == DeadlineKind.crisis_repeat:
        _repeat_crisis_page(repo, lead, state, deadline.step, now)
        return "crisis_repeat"
    if deadline.step % 1000 < LADDER_OFFSET:  # the assignee's own clock ran out
        _count_timeout(repo, lead, state)
    advance_ladder(repo, lead, state, now, cause=EscalationCause.timeout)
    return "escalated"


def resume_crisis_pages(repo: RoutingRepository, lead: Lead, state: LeadState, now: datetime) -> None:
    """An acknowledged crisis with no contact recorded in time: it counts as unacknowledged again,
    the assignee is paged now (and every few minutes until someone acts) and the ladder moves on."""
    state.status = LeadStatus.notified
    state.acknowledged_at = None
    state.status_changed_at = now
    repo.add(state)
    repo.audit(ACTOR, "lead.contact_overdue", lead.id, {"coordinator_id": str(state.coordinator_id)})
    latest = repo.latest_assignment(lead.id)
    base = latest.step if latest else 0
    used = [
        d.step
        for d in repo.deadlines(lead.id)
        if d.kind == DeadlineKind.crisis_repeat and d.step // 1000 == base
    ]
    _repeat_crisis_page(repo, lead, state, max(used, default=base * 1000) + 1, now)
    advance_ladder(repo, lead, state, now, cause=EscalationCause.no_contact)
    log.warning("crisis_contact_overdue", lead_id=str(lead.id))


def _repeat_crisis_page(
    repo: RoutingRepository, lead: Lead, state: LeadState, deadline_step: int, now: datetime
) -> None:
    number = deadline_step % 1000
    nxt = now + timedelta(minutes=repo.ruleset().escalation.crisis_repeat_minutes)
    step = (deadline_step // 1000) * 100 + number
    repo.add(
        Escalation(
            lead_id=lead.id,
            kind="crisis_repeat",
            step=step,
            role="assignee",
            coordinator_id=state.coordinator_id,
            cause=EscalationCause.timeout,
            created_at=now,
        )
    )
    repo.emit(
        LeadEscalatedV1(
            lead_id=lead.id,
            step=step,
            recipient_coordinator_id=state.coordinator_id,
            role="assignee",
            kind="crisis_repeat",
            urgency="crisis",
            acknowledge_by=nxt,
        )
    )
    add_deadline(repo, lead.id, DeadlineKind.crisis_repeat, deadline_step + 1, state.coordinator_id, nxt)
    log.warning("crisis_page_repeated", lead_id=str(lead.id), page=number)


def advance_ladder(
    repo: RoutingRepository, lead: Lead, state: LeadState, now: datetime, cause: EscalationCause
) -> Escalation | None:
    """Tell the next person on the ladder (backup → supervisor → on-call), with their own deadline;
    past the last rung, a critical alert."""
    ruleset = repo.ruleset()
    by_id = {p.id: p for p in repo.directory(now)}
    owner = by_id.get(state.coordinator_id) if state.coordinator_id else None
    on_call = [o.person for o in on_call_at(repo.schedule(), by_id, now)]
    rung = next_rung(
        state.escalation_step,
        owner,
        by_id,
        on_call,
        now,
        ruleset.escalation,
        already=repo.escalation_recipients(lead.id),
    )
    cancel_deadlines(repo, lead.id, now, kind=DeadlineKind.acknowledge)
    urgency = state.urgency or Urgency.urgent
    if rung is None:
        severity = Severity.critical if urgency in (Urgency.crisis, Urgency.urgent) else Severity.warning
        raise_alert(
            repo,
            AlertKind.ladder_exhausted,
            f"lead:{lead.id}",
            severity,
            lead_id=lead.id,
            coordinator_id=state.coordinator_id,
        )
        log.error("escalation_ladder_exhausted", lead_id=str(lead.id))
        return None
    due = now + timedelta(minutes=step_minutes(urgency, ruleset.escalation))
    latest = repo.latest_assignment(lead.id)
    base = latest.step if latest else 0
    row = Escalation(
        lead_id=lead.id,
        kind="escalation",
        step=base * 100 + rung.step,
        role=rung.role,
        coordinator_id=rung.person.id,
        cause=cause,
        created_at=now,
    )
    repo.add(row)
    state.escalation_step = rung.step
    repo.add(state)
    add_deadline(
        repo, lead.id, DeadlineKind.acknowledge, base * 1000 + LADDER_OFFSET + rung.step, rung.person.id, due
    )
    repo.audit(
        ACTOR,
        "lead.escalate",
        lead.id,
        {"step": rung.step, "role": rung.role, "coordinator_id": str(rung.person.id), "cause": cause},
    )
    repo.emit(
        LeadEscalatedV1(
            lead_id=lead.id,
            step=row.step,
            recipient_coordinator_id=rung.person.id,
            role=rung.role,
            kind="escalation",
            urgency=urgency,
            acknowledge_by=due,
        )
    )
    log.warning("lead_escalated", lead_id=str(lead.id), step=rung.step, role=rung.role, cause=cause)
    return row


def _count_timeout(repo: RoutingRepository, lead: Lead, state: LeadState) -> None:
    """Two timeouts in a row pause a coordinator from new routine leads (and tell a supervisor)."""
    owner = repo.coordinator(state.coordinator_id)
    if owner is None:
        return
    owner.consecutive_timeouts += 1
    if owner.consecutive_timeouts >= repo.ruleset().escalation.pause_after_timeouts and not owner.paused:
        owner.paused = True
        raise_alert(
            repo,
            AlertKind.coordinator_paused,
            f"coordinator:{owner.id}:{lead.id}",
            Severity.warning,
            coordinator_id=owner.id,
            lead_id=lead.id,
            detail={
                "supervisor_id": str(owner.supervisor_id) if owner.supervisor_id else None,
                "timeouts": owner.consecutive_timeouts,
            },
        )
        log.warning("coordinator_paused", coordinator_id=str(owner.id), timeouts=owner.consecutive_timeouts)
    repo.add(owner)


def redispatch_waiting(repo: RoutingRepository, now: datetime, limit: int = 200) -> int:
    """Waiting leads whose time has come go back to routing (through the outbox, on their lane)."""
    due = repo.waiting_due(now, limit)
    for state in due:
        classification = repo.classification(state.lead_id)
        repo.emit(
            LeadClassifiedV1(
                lead_id=state.lead_id,
                urgency=state.urgency or Urgency.urgent,
                classifier_version=classification.classifier_version if classification else "unknown",
            )
        )
        state.route_after = now + timedelta(minutes=5)  # route_lead sets the real next time
        repo.add(state)
    return len(due)
