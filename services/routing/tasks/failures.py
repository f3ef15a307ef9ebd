"""routing.handle_notification_failure: an email bounced or failed for good — move the ladder on
to the next person at once instead of waiting for the SLA deadline."""

from __future__ import annotations

import structlog
from sqlalchemy.exc import IntegrityError

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import NotificationFailedV1
from shared.logging import get_logger
from shared.models import InboxClaim
from shared.tasks import HANDLE_NOTIFICATION_FAILURE

from services.routing.adapters import operations as ops
from services.routing.adapters import repository as repo

log = get_logger(__name__)
CONSUMER = "routing.notification_failed"


def handle_failure_once(payload: dict, now=None) -> str:
    event = NotificationFailedV1.model_validate(payload)
    with unit_of_work() as session:
        if session.get(InboxClaim, (CONSUMER, event.event_id)) is not None:
            return "duplicate"
        try:
            with session.begin_nested():
                session.add(InboxClaim(consumer=CONSUMER, event_id=event.event_id))
        except IntegrityError:
            return "duplicate"
        lead = repo.lock_lead(session, event.lead_id)
        if lead is None:
            return "no_such_lead"
        outcome = ops.notification_failed(session, lead, event.recipient_coordinator_id, now or utcnow())
    log.info("notification_failure_handled", outcome=outcome, reason=event.reason)
    return outcome


@celery_app.task(name=HANDLE_NOTIFICATION_FAILURE, **PIPELINE_TASK_OPTIONS)
def handle_notification_failure(self, payload: dict) -> None:
    event = NotificationFailedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    handle_failure_once(payload)
