"""routing.route_lead: assign a classified lead to a coordinator and emit `lead.routed`.

Idempotent: only a lead still waiting for routing is routed, under a row lock, and one assignment
per (lead, step) is a unique key. The decision itself locks the coordinator rows, so concurrent
routing tasks in several worker processes take turns reading and updating the counters: round
robin stays even and nobody goes over capacity.
"""

from __future__ import annotations

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.errors import TransientError
from shared.events import LeadClassifiedV1
from shared.logging import get_logger
from shared.tasks import ROUTE_LEAD

from services.routing.adapters import operations as ops
from services.routing.adapters import repository as repo

log = get_logger(__name__)
ROUTABLE = ops.ROUTABLE


class NobodyToRouteTo(TransientError):
    """No active coordinator at all: retried, and the sweeper keeps trying; health shows it."""


def route_once(payload: dict, now=None) -> str:
    event = LeadClassifiedV1.model_validate(payload)
    with unit_of_work() as session:
        lead = repo.lock_lead(session, event.lead_id)
        if lead is None or lead.status not in ROUTABLE:
            log.info("route_skipped", reason="not_routable" if lead else "no_such_lead")
            return "skipped"
        decision = ops.route(session, lead, now or utcnow(), correlation_id=event.correlation_id)
        if decision is not None and decision.chosen is None and decision.wait_reason == "no active coordinator at all":
            log.error("no_coordinator_available", urgency=lead.urgency)
            raise NobodyToRouteTo("no active coordinator")
        return lead.status


@celery_app.task(name=ROUTE_LEAD, **PIPELINE_TASK_OPTIONS)
def route_lead(self, payload: dict) -> None:
    event = LeadClassifiedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    route_once(payload)
