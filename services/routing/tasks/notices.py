"""What notify tells routing: routing.record_notification_sent (routed → notified) and
routing.handle_notification_failure (the ladder moves on at once). See app/notices.py."""

from __future__ import annotations

from datetime import datetime

import structlog

from shared.clock import utcnow
from shared.events import NotificationFailedV1, NotificationSentV1
from shared.retry import pipeline_task
from shared.tasks import HANDLE_NOTIFICATION_FAILURE, RECORD_NOTIFICATION_SENT

from services.routing.adapters.repository import routing_uow
from services.routing.app import notices

FAILURE_CONSUMER = "routing.notification_failed"


def handle_failure_once(payload: dict, now: datetime | None = None) -> str:
    event = NotificationFailedV1.model_validate(payload)
    with routing_uow() as repo:
        if not repo.claim_event(FAILURE_CONSUMER, event.event_id):
            return "duplicate"
        return notices.notification_failed(repo, event, now or utcnow())


@pipeline_task(HANDLE_NOTIFICATION_FAILURE)
def handle_notification_failure(self, payload: dict) -> None:
    event = NotificationFailedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    handle_failure_once(payload)


@pipeline_task(RECORD_NOTIFICATION_SENT)
def record_notification_sent(self, payload: dict) -> str:
    event = NotificationSentV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    with routing_uow() as repo:
        return notices.record_notification_sent(repo, event, utcnow())
