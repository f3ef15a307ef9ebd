"""notify.send_escalation: a ladder step or a repeated crisis page, to the person routing chose."""

from __future__ import annotations

import structlog

from shared.celery import celery_app
from shared.db import unit_of_work
from shared.events import LeadEscalatedV1
from shared.links import lead_link
from shared.logging import get_logger
from shared.models import Coordinator, Lead
from shared.tasks import SEND_ESCALATION

from services.notify.adapters.repository import NoticeKey
from services.notify.domain.compose import NotificationView
from services.notify.tasks.deliver import Notice, deliver_or_retry
from services.notify.tasks.send import TASK_OPTIONS

log = get_logger(__name__)


@celery_app.task(name=SEND_ESCALATION, **TASK_OPTIONS)
def send_escalation(self, payload: dict) -> str | None:
    event = LeadEscalatedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    with unit_of_work() as session:
        lead = session.get(Lead, event.lead_id)
        coordinator = session.get(Coordinator, event.recipient_coordinator_id)
        if lead is None or coordinator is None:
            log.warning("notify_skipped", reason="missing_lead_or_coordinator")
            return None
        view = NotificationView(
            kind=event.kind, recipient_display_name=coordinator.name, received_at=lead.created_at,
            reference=lead.reference, link=lead_link(lead.reference, coordinator.id),
            urgency=event.urgency, channel=lead.channel, sla_deadline=event.acknowledge_by, step=event.step,
        )
        key = NoticeKey(kind=event.kind, recipient=coordinator.email, lead_id=lead.id, step=event.step,
                        coordinator_id=coordinator.id, urgency=event.urgency, triggered_at=event.occurred_at)
    log.info("escalation_notice", step=event.step, role=event.role, kind=event.kind)
    return deliver_or_retry(self, Notice(key=key, view=view, actor=f"task:{SEND_ESCALATION}"))
