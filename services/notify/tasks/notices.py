"""The event-driven notices: a routed lead, an escalation step, an alert, a referral's status.

Each task parses its event and hands a notice to the one guarded send path (app/deliver.py).
"""

from __future__ import annotations

import structlog

from shared.events import (
    AlertRaisedV1,
    LeadCrisisConfirmedV1,
    LeadCrisisDowngradedV1,
    LeadEscalatedV1,
    LeadRoutedV1,
    ReferralStatusChangedV1,
    parse_event,
)
from shared.logging import get_logger
from shared.retry import RetryLater, pipeline_task
from shared.tasks import NOTIFY_REFERRER, SEND_ALERT, SEND_CRISIS_CHECK, SEND_ESCALATION, SEND_NOTIFICATION

from services.notify.adapters.email import email_backend
from services.notify.adapters.repository import notify_uow
from services.notify.adapters.sms import sms_backend
from services.notify.app import alerts, referrer
from services.notify.app.deliver import Notice, coordinator_notice, deliver
from services.notify.app.page import deliver_page, page_notice
from services.notify.domain import policy

log = get_logger(__name__)


def _bind(event) -> None:
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)


def _email_and_page(self, notice: Notice | None, event, kind: str, coordinator_id) -> str | None:
    """The email, and for crisis and escalation notices an SMS page too. Each has its own send
    guard, so a retry of this task re-sends only what is not done; a retry the one asks for does
    not hold back the other."""
    retries = self.request.retries or 0
    wait: RetryLater | None = None
    result = None
    if notice is not None:
        try:
            result = deliver(notify_uow, email_backend(), notice, retries)
        except RetryLater as exc:
            wait = exc
    backend = sms_backend()
    page = None
    if backend is not None:
        page = page_notice(
            notify_uow,
            kind=kind,
            lead_id=event.lead_id,
            coordinator_id=coordinator_id,
            urgency=event.urgency,
            step=event.step,
            triggered_at=event.occurred_at,
            actor=f"task:{self.name}",
        )
    if page is not None:
        try:
            deliver_page(notify_uow, backend, page, retries)
        except RetryLater as exc:
            wait = exc if wait is None or exc.delay < wait.delay else wait
    if wait is not None:
        raise wait
    return result


@pipeline_task(SEND_NOTIFICATION)
def send_notification(self, payload: dict) -> str | None:
    """`lead.routed`: tell the coordinator a lead was routed to them (a new-lead, repeat-contact or
    reassignment notice) — once."""
    event = LeadRoutedV1.model_validate(payload)
    _bind(event)
    notice = coordinator_notice(
        notify_uow,
        kind=policy.routed_kind(event.repeat_contact, event.reassigned),
        lead_id=event.lead_id,
        coordinator_id=event.coordinator_id,
        urgency=event.urgency,
        step=event.step,
        acknowledge_by=event.acknowledge_by,
        triggered_at=event.occurred_at,
        assignment_id=event.assignment_id,
        actor=f"task:{SEND_NOTIFICATION}",
    )
    kind = policy.routed_kind(event.repeat_contact, event.reassigned)
    return _email_and_page(self, notice, event, kind, event.coordinator_id)


@pipeline_task(SEND_ESCALATION)
def send_escalation(self, payload: dict) -> str | None:
    """`lead.escalated`: a ladder step or a repeated crisis page, to the person routing chose."""
    event = LeadEscalatedV1.model_validate(payload)
    _bind(event)
    log.info("escalation_notice", step=event.step, role=event.role, kind=event.kind)
    notice = coordinator_notice(
        notify_uow,
        kind=event.kind,
        lead_id=event.lead_id,
        coordinator_id=event.recipient_coordinator_id,
        urgency=event.urgency,
        step=event.step,
        acknowledge_by=event.acknowledge_by,
        triggered_at=event.occurred_at,
        actor=f"task:{SEND_ESCALATION}",
    )
    return _email_and_page(self, notice, event, event.kind, event.recipient_coordinator_id)


@pipeline_task(SEND_ALERT)
def send_alert(self, payload: dict) -> dict:
    event = AlertRaisedV1.model_validate(payload)
    return alerts.send_alert(
        notify_uow, email_backend(), event, self.request.retries or 0, f"task:{SEND_ALERT}"
    )


@pipeline_task(NOTIFY_REFERRER)
def notify_referrer(self, payload: dict) -> str | None:
    event = ReferralStatusChangedV1.model_validate(payload)
    _bind(event)
    return referrer.notify_referrer(
        notify_uow, email_backend(), event, self.request.retries or 0, f"task:{NOTIFY_REFERRER}"
    )


@pipeline_task(SEND_CRISIS_CHECK)
def send_crisis_check(self, payload: dict) -> dict:
    """`lead.crisis_confirmed` / `lead.crisis_downgraded`: everyone already told about the lead hears
    the decision (it is real / stand down) — one notice per person, once."""
    event = parse_event(payload)
    if not isinstance(event, LeadCrisisConfirmedV1 | LeadCrisisDowngradedV1):
        raise ValueError("not a crisis check event")
    _bind(event)
    outcomes: dict[str, int] = {}
    for coordinator_id in event.recipient_coordinator_ids:
        notice = coordinator_notice(
            notify_uow,
            kind=policy.NoticeKind.crisis_checked,
            lead_id=event.lead_id,
            coordinator_id=coordinator_id,
            urgency=event.urgency,
            step=0,
            acknowledge_by=None,
            triggered_at=event.occurred_at,
            actor=f"task:{SEND_CRISIS_CHECK}",
        )
        if notice is not None:
            outcome = deliver(notify_uow, email_backend(), notice, self.request.retries or 0)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
