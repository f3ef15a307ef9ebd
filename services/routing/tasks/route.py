"""routing.route_lead: assign a classified lead to a coordinator and emit `lead.routed`.

Idempotent: only a lead still waiting for routing is routed, under a row lock, and one assignment
per (lead, step) is a unique key. The decision locks the coordinator rows, so concurrent routing
tasks in several worker processes take turns reading and updating the counters: round robin stays
even and nobody goes over capacity.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from shared.clock import utcnow
from shared.events import LeadClassifiedV1
from shared.retry import pipeline_task
from shared.tasks import ROUTE_LEAD

from services.routing.adapters.repository import routing_uow
from services.routing.app.route import route_classified


def route_once(payload: dict, now: datetime | None = None) -> str:
    event = LeadClassifiedV1.model_validate(payload)
    with routing_uow() as repo:
        return route_classified(repo, event, now or utcnow())


@pipeline_task(ROUTE_LEAD)
def route_lead(self, payload: dict) -> None:
    event = LeadClassifiedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    route_once(payload)
