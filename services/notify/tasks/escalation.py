"""notify.send_escalation: a ladder step or a repeated crisis page, to the person routing chose."""

from __future__ import annotations

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.events import LeadEscalatedV1
from shared.logging import get_logger
from shared.tasks import SEND_ESCALATION

from services.notify.tasks.deliver import coordinator_notice, deliver_or_retry

log = get_logger(__name__)


@celery_app.task(name=SEND_ESCALATION, **PIPELINE_TASK_OPTIONS)
def send_escalation(self, payload: dict) -> str | None:
    event = LeadEscalatedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    log.info("escalation_notice", step=event.step, role=event.role, kind=event.kind)
    notice = coordinator_notice(
        kind=event.kind, lead_id=event.lead_id, coordinator_id=event.recipient_coordinator_id,
        urgency=event.urgency, step=event.step, acknowledge_by=event.acknowledge_by,
        triggered_at=event.occurred_at, actor=f"task:{SEND_ESCALATION}",
    )
    return deliver_or_retry(self, notice) if notice else None
