"""routing.sweep_stuck_leads: the database is the truth; the broker may forget.

A lead that sits in a pipeline status too long (its message lost in a Redis restart, its worker
SIGKILLed, its task retried out) gets its step's event written to the outbox again. Crisis leads
are swept after 60 s, others after a few minutes; every step is idempotent, so a redispatch of
work that was merely slow does no harm.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from shared.celery import celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import Event, LeadClassifiedV1, LeadReceivedV1, LeadRoutedV1
from shared.logging import get_logger
from shared.models import PIPELINE_STATUSES, Lead, LeadStatus
from shared.outbox import add_event, beat
from shared.settings import get_settings
from shared.tasks import SWEEP_STUCK_LEADS

from services.routing.adapters import repository as repo
from services.routing.domain.sla import acknowledge_by

log = get_logger(__name__)


def _is_crisis(lead: Lead) -> bool:
    return lead.urgency == "crisis" or (lead.urgency is None and lead.risk_flag)


def _redispatch_event(session, lead: Lead) -> Event | None:
    if lead.status == LeadStatus.received.value:
        return LeadReceivedV1(lead_id=lead.id, channel=lead.channel, risk_flag=lead.risk_flag)
    if lead.status in (LeadStatus.classified.value, LeadStatus.manual_triage.value):
        classification = repo.get_classification(session, lead.id)
        return LeadClassifiedV1(
            lead_id=lead.id, urgency=lead.urgency or "urgent",
            classifier_version=classification.classifier_version if classification else "unknown",
            manual_triage=lead.status == LeadStatus.manual_triage.value,
        )
    if lead.status == LeadStatus.routed.value:
        assignment = repo.latest_assignment(session, lead.id)
        if assignment is None:
            return None
        return LeadRoutedV1(lead_id=lead.id, assignment_id=assignment.id,
                            coordinator_id=assignment.coordinator_id,
                            urgency=lead.urgency or "urgent", step=assignment.step,
                            acknowledge_by=acknowledge_by(lead.urgency or "urgent", assignment.created_at))
    return None


def sweep_once(now=None) -> int:
    settings = get_settings()
    now = now or utcnow()
    crisis_cutoff = now - timedelta(seconds=settings.stuck_crisis_seconds)
    other_cutoff = now - timedelta(seconds=settings.stuck_other_seconds)
    redispatched = 0
    with unit_of_work() as session:
        candidates = session.exec(
            select(Lead)
            .where(col(Lead.status).in_([s.value for s in PIPELINE_STATUSES]))
            .where(col(Lead.status_changed_at) < crisis_cutoff)
            .order_by(col(Lead.status_changed_at))
            .limit(500)
            .with_for_update(skip_locked=True)
        ).all()
        for lead in candidates:
            cutoff = crisis_cutoff if _is_crisis(lead) else other_cutoff
            last_touch = max(lead.status_changed_at, lead.last_dispatched_at or lead.status_changed_at)
            if last_touch >= cutoff:
                continue
            event = _redispatch_event(session, lead)
            if event is None:
                continue
            add_event(session, event)
            lead.dispatch_count += 1
            lead.last_dispatched_at = now
            session.add(lead)
            redispatched += 1
            log.warning("lead_redispatched", lead_id=str(lead.id), status=lead.status,
                        dispatch_count=lead.dispatch_count)
    beat("sweeper")
    return redispatched


@celery_app.task(name=SWEEP_STUCK_LEADS, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_stuck_leads() -> int:
    return sweep_once()
