"""notify.send_notification: tell the coordinator a lead was routed to them — once.

`lead.routed` asks for a new-lead notice, or a repeat-contact or reassignment notice when the
event says so. The shared guarded path (tasks/deliver.py) does the rest.
"""

from __future__ import annotations

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.events import LeadRoutedV1
from shared.tasks import SEND_NOTIFICATION

from services.notify.domain import policy
from services.notify.tasks.deliver import coordinator_notice, deliver_or_retry, reset_email_backend

__all__ = ["reset_email_backend", "send_notification"]


@celery_app.task(name=SEND_NOTIFICATION, **PIPELINE_TASK_OPTIONS)
def send_notification(self, payload: dict) -> str | None:
    event = LeadRoutedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    notice = coordinator_notice(
        kind=policy.routed_kind(event.repeat_contact, event.reassigned), lead_id=event.lead_id,
        coordinator_id=event.coordinator_id, urgency=event.urgency, step=event.step,
        acknowledge_by=event.acknowledge_by, triggered_at=event.occurred_at,
        assignment_id=event.assignment_id, mark_lead_notified=True, actor=f"task:{SEND_NOTIFICATION}",
    )
    return deliver_or_retry(self, notice) if notice else None
