"""routing.classify_lead: triage a received lead and hand it on as `lead.classified`
(the use case and its idempotency: app/classify.py)."""

from __future__ import annotations

import structlog

from shared.clock import utcnow
from shared.events import LeadReceivedV1
from shared.retry import pipeline_task
from shared.settings import get_settings
from shared.tasks import CLASSIFY_LEAD

from services.routing.adapters.repository import routing_uow
from services.routing.app import classify


@pipeline_task(CLASSIFY_LEAD)
def classify_lead(self, payload: dict) -> None:
    event = LeadReceivedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    with routing_uow() as repo:  # the attempt is counted even if the classifier kills the process
        job = classify.start(repo, event.lead_id)
    if job is None:
        return
    result = classify.run(job, get_settings().classify_max_attempts)  # outside any transaction
    with routing_uow() as repo:
        classify.finish(repo, job, result, utcnow(), event.correlation_id)
