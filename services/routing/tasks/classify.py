"""routing.classify_lead: triage a received lead and hand it on as `lead.classified`.

Idempotent by the lead's status (only a `received` lead is classified, under a row lock), so a
redelivered or duplicated task does nothing. Each attempt is counted in its own transaction before
the classifier runs, so even an attempt that kills the process counts; past the limit the lead goes
to manual triage as urgent (crisis if the intake screen saw risk) instead of waiting forever.
"""

from __future__ import annotations

import random

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import LeadClassifiedV1, LeadReceivedV1
from shared.logging import get_logger
from shared.models import AuditEvent, Classification, LeadStatus
from shared.outbox import add_event
from shared.settings import get_settings
from shared.tasks import CLASSIFY_LEAD

from services.routing.adapters import repository as repo

log = get_logger(__name__)


@celery_app.task(name=CLASSIFY_LEAD, **PIPELINE_TASK_OPTIONS)
def classify_lead(self, payload: dict) -> None:
    event = LeadReceivedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    settings = get_settings()

    with unit_of_work() as session:
        lead = repo.lock_lead(session, event.lead_id)
        if lead is None or lead.status != LeadStatus.received.value:
            log.info("classify_skipped", reason="not_received" if lead else "no_such_lead")
            return
        lead.classify_attempts += 1
        attempts = lead.classify_attempts
        contact = repo.get_contact(session, lead.id)
        text = contact.message if contact else ""
        details = dict(contact.details) if contact else {}
        details.setdefault("message_date", lead.created_at.date().isoformat())
        channel, risk_flag = lead.channel, lead.risk_flag

    result = None
    if attempts <= settings.classify_max_attempts:
        try:
            from services.triage import classify

            from services.routing.domain.triage_input import build_triage_input

            result = classify(build_triage_input(text, channel, details))
        except Exception as exc:
            log.warning("classify_failed", attempt=attempts, error=type(exc).__name__)
            if attempts < settings.classify_max_attempts:
                delay = min(2**attempts, 60) + random.uniform(0, 1)
                raise self.retry(countdown=delay, max_retries=None) from None

    with unit_of_work() as session:
        lead = repo.lock_lead(session, event.lead_id)
        if lead is None or lead.status != LeadStatus.received.value:
            return  # a duplicate finished first
        if result is not None:
            classification = Classification(
                lead_id=lead.id, conditions=result.conditions, primary_condition=result.primary_condition,
                urgency=result.urgency, veteran=result.veteran, flags=result.flags,
                evidence=result.evidence, classifier_version=result.version,
            )
            lead.status = LeadStatus.classified.value
        else:
            # Never dropped: a person triages it, and until then it is treated as urgent (or a
            # crisis, when the intake screen saw risk words).
            urgency = "crisis" if risk_flag else "urgent"
            classification = Classification(
                lead_id=lead.id, conditions=[], primary_condition=None, urgency=urgency,
                evidence=[{"label": "urgency", "source": "manual_triage",
                           "note": f"no classification after {attempts} attempts; a person must triage"}],
                classifier_version="manual-triage", manual_triage=True,
            )
            lead.status = LeadStatus.manual_triage.value
            log.error("lead_needs_manual_triage", attempts=attempts)
        lead.urgency = classification.urgency
        lead.status_changed_at = utcnow()
        session.add(classification)
        session.add(lead)
        session.add(AuditEvent(actor=f"task:{CLASSIFY_LEAD}", action="lead.classify", lead_id=lead.id,
                               detail={"urgency": classification.urgency,
                                       "version": classification.classifier_version}))
        add_event(session, LeadClassifiedV1(
            lead_id=lead.id, urgency=classification.urgency,
            classifier_version=classification.classifier_version,
            manual_triage=classification.manual_triage, correlation_id=event.correlation_id,
        ))
    log.info("lead_classified", urgency=classification.urgency, manual_triage=classification.manual_triage)
