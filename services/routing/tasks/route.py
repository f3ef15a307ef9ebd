"""routing.route_lead: assign a classified lead to a coordinator and emit `lead.routed`.

Idempotent: one assignment per (lead, step) is a unique key, and only a lead still waiting for
routing is routed, under a row lock.
"""

from __future__ import annotations

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.errors import TransientError
from shared.events import LeadClassifiedV1, LeadRoutedV1
from shared.logging import get_logger
from shared.models import Assignment, AuditEvent, LeadStatus
from shared.outbox import add_event
from shared.tasks import ROUTE_LEAD

from services.routing.adapters import repository as repo
from services.routing.domain.router import LeadNeeds, choose_coordinator
from services.routing.domain.sla import acknowledge_by

log = get_logger(__name__)
ROUTABLE = (LeadStatus.classified.value, LeadStatus.manual_triage.value)


class NobodyToRouteTo(TransientError):
    """No active coordinator at all: retried, and the sweeper keeps trying; health shows it."""


@celery_app.task(name=ROUTE_LEAD, **PIPELINE_TASK_OPTIONS)
def route_lead(self, payload: dict) -> None:
    event = LeadClassifiedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    with unit_of_work() as session:
        lead = repo.lock_lead(session, event.lead_id)
        if lead is None or lead.status not in ROUTABLE:
            log.info("route_skipped", reason="not_routable" if lead else "no_such_lead")
            return
        classification = repo.get_classification(session, lead.id)
        flags = classification.flags if classification else []
        language = "es" if "spanish_language" in flags else lead.language
        needs = LeadNeeds(
            urgency=lead.urgency or "urgent",
            primary_condition=classification.primary_condition if classification else None,
            conditions=tuple(classification.conditions) if classification else (),
            veteran=bool(classification and classification.veteran),
            language=language,
        )
        decision = choose_coordinator(needs, repo.active_coordinators(session))
        if decision is None:
            log.error("no_coordinator_available", urgency=needs.urgency)
            raise NobodyToRouteTo("no active coordinator")
        assignment = Assignment(lead_id=lead.id, coordinator_id=decision.coordinator_id, step=0,
                                reason=decision.reason[:500])
        session.add(assignment)
        lead.status = LeadStatus.routed.value
        lead.status_changed_at = utcnow()
        session.add(lead)
        session.add(AuditEvent(actor=f"task:{ROUTE_LEAD}", action="lead.route", lead_id=lead.id,
                               detail={"coordinator_id": str(decision.coordinator_id), "step": 0}))
        add_event(session, LeadRoutedV1(
            lead_id=lead.id, assignment_id=assignment.id, coordinator_id=decision.coordinator_id,
            urgency=needs.urgency, step=0, correlation_id=event.correlation_id,
            acknowledge_by=acknowledge_by(needs.urgency, assignment.created_at),
        ))
    log.info("lead_routed", coordinator_id=str(decision.coordinator_id), urgency=needs.urgency)
