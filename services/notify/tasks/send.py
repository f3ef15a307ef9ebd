"""notify.send_notification: email the coordinator a lead was routed to — once.

The notification row (unique per lead, recipient, kind and step) is the guard: a task moves it
pending → sending with a conditional update, and only the task that won that update sends. A
`sending` row older than the stale window means a worker died mid-send: the outcome is unknown
(SendGrid has no idempotency key), so it is sent again and counted as ambiguous — a rare
duplicate is better than a missing crisis email.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

from shared.celery import celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.errors import TransientError
from shared.events import LeadRoutedV1
from shared.links import lead_link
from shared.logging import get_logger
from shared.models import AuditEvent, Coordinator, Lead, LeadStatus, Notification, NotificationStatus
from shared.settings import get_settings
from shared.tasks import SEND_NOTIFICATION

from services.notify.adapters.backends import build_backend
from services.notify.domain.compose import NotificationView, categories_for, compose
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import OutgoingEmail

log = get_logger(__name__)
KIND = "lead_assigned"
MAX_RETRY_DELAY = 120.0  # far below the broker's visibility timeout
DONE = {NotificationStatus.sent.value, NotificationStatus.delivered.value,
        NotificationStatus.bounced.value, NotificationStatus.failed.value}

_backend = None


def _email_backend():
    global _backend
    if _backend is None:
        _backend = build_backend(get_settings())
    return _backend


def reset_email_backend() -> None:
    """Forget the cached backend (after settings change)."""
    global _backend
    _backend = None


def _stale_after() -> timedelta:
    # Longer than any single send can take (the HTTP timeout) plus a margin.
    return timedelta(seconds=get_settings().sendgrid_timeout_seconds * 3 + 30)


def _find_or_create(session, event: LeadRoutedV1, coordinator: Coordinator) -> Notification:
    def find():
        return session.exec(
            select(Notification).where(
                Notification.lead_id == event.lead_id, Notification.recipient == coordinator.email,
                Notification.kind == KIND, Notification.step == event.step,
            )
        ).first()

    existing = find()
    if existing:
        return existing
    row = Notification(lead_id=event.lead_id, assignment_id=event.assignment_id,
                       recipient=coordinator.email, kind=KIND, step=event.step)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent duplicate created it first
        return find()
    return row


def _claim(notification_id, now) -> int | None:
    """pending → sending (or a stale sending, after a crash). Returns the attempt number if won."""
    with unit_of_work() as session:
        stale = now - _stale_after()
        result = session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .where(
                (col(Notification.status) == NotificationStatus.pending.value)
                | ((col(Notification.status) == NotificationStatus.sending.value)
                   & (col(Notification.updated_at) < stale))
            )
            .values(status=NotificationStatus.sending.value, attempts=Notification.attempts + 1,
                    updated_at=now)
            .returning(Notification.attempts, Notification.ambiguous_attempts)
        ).first()
    return result[0] if result else None


@celery_app.task(
    name=SEND_NOTIFICATION, bind=True, acks_late=True, reject_on_worker_lost=True,
    autoretry_for=(TransientError, OperationalError), retry_backoff=True, retry_backoff_max=60,
    retry_jitter=True, max_retries=10,
)
def send_notification(self, payload: dict) -> None:
    event = LeadRoutedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    now = utcnow()

    with unit_of_work() as session:
        lead = session.get(Lead, event.lead_id)
        coordinator = session.get(Coordinator, event.coordinator_id)
        if lead is None or coordinator is None:
            log.warning("notify_skipped", reason="missing_lead_or_coordinator")
            return
        notification = _find_or_create(session, event, coordinator)
        if notification.status in DONE:
            _mark_lead_notified(session, lead)  # a previous run sent it but died before this
            return
        was_stale_sending = notification.status == NotificationStatus.sending.value
        view = NotificationView(
            kind=KIND, recipient_display_name=coordinator.name, received_at=lead.created_at,
            reference=lead.reference, link=lead_link(lead.reference, coordinator.id),
            urgency=event.urgency, channel=lead.channel, sla_deadline=event.acknowledge_by,
            step=event.step,
        )
        notification_id, recipient = notification.id, coordinator.email

    attempt = _claim(notification_id, now)
    if attempt is None:
        log.info("notify_skipped", reason="another_worker_is_sending", notification_id=str(notification_id))
        return
    if was_stale_sending:
        _record(notification_id, ambiguous=True, error="resent_after_unknown_outcome")

    subject, text, html = compose(view)
    email = OutgoingEmail(
        notification_id=str(notification_id), to=recipient, subject=subject, text=text, html=html,
        categories=categories_for(view),
        custom_args={"notification_id": str(notification_id), "lead_reference": view.reference},
    )
    try:
        message_id = _email_backend().send(email)
    except RetryableSendError as exc:
        _record(notification_id, status=NotificationStatus.pending.value, error=exc.reason,
                ambiguous=exc.ambiguous)
        delay = min(exc.retry_after or 2 ** min(self.request.retries + 1, 7), MAX_RETRY_DELAY)
        log.warning("email_retry", notification_id=str(notification_id), reason=exc.reason,
                    ambiguous=exc.ambiguous, countdown=round(delay, 1))
        raise self.retry(countdown=delay, max_retries=None if event.urgency == "crisis" else 10) from None
    except PermanentSendError as exc:
        # No retry storm: visible failure. The lead stays `routed`, so health checks and the
        # sweeper keep it in sight until the escalation ladder (its own issue) takes over.
        _record(notification_id, status=NotificationStatus.failed.value, error=exc.reason)
        log.error("email_failed", notification_id=str(notification_id), reason=exc.reason, status=exc.status)
        return

    with unit_of_work() as session:
        session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .where(col(Notification.status) == NotificationStatus.sending.value)
            .values(status=NotificationStatus.sent.value, provider_message_id=message_id,
                    sent_at=utcnow(), updated_at=utcnow(), last_error=None)
        )
        lead = session.exec(select(Lead).where(Lead.id == event.lead_id).with_for_update()).first()
        _mark_lead_notified(session, lead)
        session.add(AuditEvent(actor=f"task:{SEND_NOTIFICATION}", action="lead.notify", lead_id=event.lead_id,
                               detail={"notification_id": str(notification_id), "kind": KIND}))
    delay_ms = (utcnow() - now).total_seconds() * 1000
    log.info("email_sent", notification_id=str(notification_id), urgency=event.urgency,
             send_ms=round(delay_ms, 1))


def _mark_lead_notified(session, lead: Lead | None) -> None:
    if lead is not None and lead.status == LeadStatus.routed.value:
        lead.status = LeadStatus.notified.value
        lead.status_changed_at = utcnow()
        session.add(lead)


def _record(notification_id, *, status: str | None = None, error: str | None = None,
            ambiguous: bool = False) -> None:
    values: dict = {"updated_at": utcnow()}
    if status:
        values["status"] = status
    if error:
        values["last_error"] = error[:200]
    if ambiguous:
        values["ambiguous_attempts"] = Notification.ambiguous_attempts + 1
    with unit_of_work() as session:
        session.execute(update(Notification).where(col(Notification.id) == notification_id).values(**values))
