"""notify.send_notification: tell the coordinator a lead was routed to them — once.

`lead.routed` asks for a new-lead notice, or a repeat-contact or reassignment notice when the
event says so. The shared guarded path (tasks/deliver.py) does the rest.
"""

from __future__ import annotations

import structlog
from sqlalchemy.exc import OperationalError

from shared.celery import celery_app
from shared.db import unit_of_work
from shared.errors import TransientError
from shared.events import LeadRoutedV1
from shared.links import lead_link
from shared.logging import get_logger
from shared.models import Coordinator, Lead
from shared.tasks import SEND_NOTIFICATION

from services.notify.adapters.repository import NoticeKey
from services.notify.domain import policy
from services.notify.domain.compose import NotificationView
from services.notify.tasks.deliver import Notice, deliver_or_retry, reset_email_backend

__all__ = ["reset_email_backend", "send_notification"]
log = get_logger(__name__)

TASK_OPTIONS = dict(
    bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=(TransientError, OperationalError),
    retry_backoff=True, retry_backoff_max=60, retry_jitter=True, max_retries=policy.MAX_RETRIES,
)


@celery_app.task(name=SEND_NOTIFICATION, **TASK_OPTIONS)
def send_notification(self, payload: dict) -> str | None:
    event = LeadRoutedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    kind = policy.routed_kind(event.repeat_contact, event.reassigned)
    with unit_of_work() as session:
        lead = session.get(Lead, event.lead_id)
        coordinator = session.get(Coordinator, event.coordinator_id)
        if lead is None or coordinator is None:
            log.warning("notify_skipped", reason="missing_lead_or_coordinator")
            return None
        view = NotificationView(
            kind=kind, recipient_display_name=coordinator.name, received_at=lead.created_at,
            reference=lead.reference, link=lead_link(lead.reference, coordinator.id),
            urgency=event.urgency, channel=lead.channel, sla_deadline=event.acknowledge_by, step=event.step,
        )
        key = NoticeKey(kind=kind, recipient=coordinator.email, lead_id=lead.id, step=event.step,
                        coordinator_id=coordinator.id, assignment_id=event.assignment_id,
                        urgency=event.urgency, triggered_at=event.occurred_at)
    return deliver_or_retry(self, Notice(key=key, view=view, mark_lead_notified=True, actor=f"task:{SEND_NOTIFICATION}"))
