"""The stuck-lead sweeper: the database is the truth; the broker may forget.

A lead that sits in a pipeline status too long (its message lost in a Redis restart, its worker
SIGKILLed, its task retried out) gets its step's event written to the outbox again. Crisis leads
are swept sooner than others; every step is idempotent, so redispatching work that was merely
slow does no harm.
"""

from __future__ import annotations

from datetime import datetime

from shared.events import Event, LeadClassifiedV1, LeadReceivedV1, LeadRoutedV1
from shared.logging import get_logger
from shared.schema import PIPELINE_STATUSES, Lead, LeadState, LeadStatus, Urgency

from services.routing.app.ports import RoutingRepository
from services.routing.domain.sla import acknowledge_by

log = get_logger(__name__)
BATCH = 500


def _is_crisis(lead: Lead, state: LeadState) -> bool:
    return state.urgency == Urgency.crisis or (state.urgency is None and lead.risk_flag)


def sweep_stuck(
    repo: RoutingRepository, now: datetime, crisis_cutoff: datetime, other_cutoff: datetime
) -> int:
    """Redispatch leads untouched since their cutoff (crisis: `crisis_cutoff`, others: `other_cutoff`)."""
    redispatched = 0
    statuses = [s.value for s in PIPELINE_STATUSES]
    for lead, state in repo.stuck_leads(statuses, crisis_cutoff, BATCH):
        cutoff = crisis_cutoff if _is_crisis(lead, state) else other_cutoff
        last_touch = max(state.status_changed_at, state.last_dispatched_at or state.status_changed_at)
        if last_touch >= cutoff:
            continue
        event = _redispatch_event(repo, lead, state)
        if event is None:
            continue
        repo.emit(event)
        state.dispatch_count += 1
        state.last_dispatched_at = now
        repo.add(state)
        redispatched += 1
        log.warning(
            "lead_redispatched",
            lead_id=str(lead.id),
            status=state.status,
            dispatch_count=state.dispatch_count,
        )
    return redispatched


def _redispatch_event(repo: RoutingRepository, lead: Lead, state: LeadState) -> Event | None:
    urgency = state.urgency or Urgency.urgent
    if state.status == LeadStatus.received:
        return LeadReceivedV1(lead_id=lead.id, channel=lead.channel, risk_flag=lead.risk_flag)
    if state.status in (LeadStatus.classified, LeadStatus.manual_triage):
        classification = repo.classification(lead.id)
        return LeadClassifiedV1(
            lead_id=lead.id,
            urgency=urgency,
            classifier_version=classification.classifier_version if classification else "unknown",
            manual_triage=state.status == LeadStatus.manual_triage,
        )
    if state.status == LeadStatus.routed:
        assignment = repo.latest_assignment(lead.id)
        if assignment is None:
            return None
        return LeadRoutedV1(
            lead_id=lead.id,
            assignment_id=assignment.id,
            coordinator_id=assignment.coordinator_id,
            urgency=urgency,
            step=assignment.step,
            acknowledge_by=acknowledge_by(urgency, assignment.created_at),
        )
    return None
