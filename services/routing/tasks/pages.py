"""routing.acknowledge_page: an on-call person answered an SMS page with its code (notify checked
the signature and the code; app/links.py decides what the reply may do)."""

from __future__ import annotations

import structlog

from shared.clock import utcnow
from shared.events import PageAcknowledgedV1
from shared.retry import pipeline_task
from shared.tasks import ACKNOWLEDGE_PAGE

from services.routing.adapters.repository import routing_uow
from services.routing.app.links import acknowledge_by_page

CONSUMER = "routing.page_acknowledged"


@pipeline_task(ACKNOWLEDGE_PAGE)
def acknowledge_page(self, payload: dict) -> str:
    event = PageAcknowledgedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    with routing_uow() as repo:
        if not repo.claim_event(CONSUMER, event.event_id):
            return "duplicate"
        return acknowledge_by_page(repo, event.lead_id, event.coordinator_id, utcnow())
