"""The one guarded send path every notify task uses.

A notice is one notification row, unique per (lead, recipient, kind, step) — or per (subject,
recipient, kind) for notices about no single lead (alerts, digests). The task that moves the row
pending → sending with a conditional update is the only one that sends; a duplicated, retried or
concurrent task finds the row claimed or done and stops. A `sending` row older than the stale
window means a worker died mid-send: the outcome is unknown (SendGrid has no idempotency key), so
it is sent again and counted in `ambiguous_attempts` — a rare duplicate beats a missing crisis email.

Failures:
- retryable (429, 5xx, timeouts, connection loss): back to pending, retried after the provider's
  X-RateLimit-Reset or exponential backoff with jitter, capped at 120 s. Crisis notices retry
  without limit; past their send deadline they also raise a critical alarm and tell routing
  (NotificationFailedV1), so the lead never waits on the email provider alone.
- permanent (400/401/403/413 …): failed at once, no retry storm; routing is told (ladder kinds)
  and supervisors get an `email_failed` alert (never for an alert's own failure).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.links import lead_link
from shared.logging import get_logger
from shared.models import AuditEvent, Coordinator, Lead
from shared.settings import get_settings

from services.notify.adapters import repository as repo
from services.notify.adapters.backends import build_backend
from services.notify.domain import policy
from services.notify.domain.compose import NotificationView, categories_for, compose
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import OutgoingEmail

log = get_logger(__name__)

_backend = None


def email_backend():
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


class RetryLater(Exception):
    """A retryable send failure: the caller schedules ONE task retry (see `retry_task`)."""

    def __init__(self, delay: float, unlimited: bool, reason: str = "retryable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.unlimited = unlimited  # crisis notices keep trying


def retry_task(task, later: RetryLater):
    """Schedule ONE retry of the task after `later.delay` seconds. In a worker Celery raises Retry;
    a direct call (tests) raises `later` itself, so its delay can be checked."""
    return task.retry(exc=later, countdown=later.delay,
                      max_retries=None if later.unlimited else policy.MAX_RETRIES)


def deliver_or_retry(task, notice: Notice) -> str:
    try:
        return deliver(task, notice)
    except RetryLater as later:
        raise retry_task(task, later) from None


@dataclass(frozen=True)
class Notice:
    key: repo.NoticeKey
    view: NotificationView
    mark_lead_notified: bool = False  # a lead's first notice moves it routed → notified
    actor: str = "task:notify"


def coordinator_notice(*, kind: str, lead_id: UUID, coordinator_id: UUID, urgency: str, step: int,
                       acknowledge_by, triggered_at, actor: str, assignment_id: UUID | None = None,
                       mark_lead_notified: bool = False) -> Notice | None:
    """A notice to a coordinator about one lead: opaque reference, urgency, times, signed link."""
    with unit_of_work() as session:
        lead = session.get(Lead, lead_id)
        coordinator = session.get(Coordinator, coordinator_id)
        if lead is None or coordinator is None:
            log.warning("notify_skipped", reason="missing_lead_or_coordinator")
            return None
        view = NotificationView(
            kind=kind, recipient_display_name=coordinator.name, received_at=lead.created_at,
            reference=lead.reference, link=lead_link(lead.reference, coordinator.id),
            urgency=urgency, channel=lead.channel, sla_deadline=acknowledge_by, step=step,
        )
        key = repo.NoticeKey(kind=kind, recipient=coordinator.email, lead_id=lead.id, step=step,
                             coordinator_id=coordinator.id, assignment_id=assignment_id,
                             urgency=urgency, triggered_at=triggered_at)
    return Notice(key=key, view=view, mark_lead_notified=mark_lead_notified, actor=actor)


def deliver(task, notice: Notice) -> str:
    """Send `notice` at most once. Returns "sent", "done" (already sent), "busy" (another worker
    holds it) or "failed"; raises RetryLater for retryable errors."""
    key = notice.key
    now = utcnow()
    with unit_of_work() as session:
        row = repo.find_or_create(session, key)
        if row.status in repo.DONE:
            if notice.mark_lead_notified and row.status in (repo.SENT, repo.DELIVERED):
                repo.mark_lead_notified(session, key.lead_id)  # sent before, but died before this
            return "done"
        was_stale_sending = row.status == repo.SENDING
        notification_id = row.id
        attempt = repo.claim(session, notification_id, now, now - _stale_after())
    if attempt is None:
        log.info("notify_skipped", reason="another_worker_is_sending", notification_id=str(notification_id))
        return "busy"
    if was_stale_sending:
        with unit_of_work() as session:
            repo.record_attempt(session, notification_id, ambiguous=True, error="resent_after_unknown_outcome")

    email = _email_for(notification_id, key.recipient, notice.view)
    backend = email_backend()
    try:
        message_id = backend.send(email)
    except RetryableSendError as exc:
        return _retry(task, notice, notification_id, exc)
    except PermanentSendError as exc:
        fail_notification(notification_id, exc.reason, status=exc.status)
        return "failed"

    accepted_at = utcnow()
    with unit_of_work() as session:
        repo.mark_sent(session, notification_id, message_id, backend.name, accepted_at)
        if notice.mark_lead_notified:
            repo.mark_lead_notified(session, key.lead_id)
        if key.lead_id is not None:
            session.add(AuditEvent(actor=notice.actor, action="lead.notify", lead_id=key.lead_id,
                                   detail={"notification_id": str(notification_id), "kind": key.kind}))
    log.info("notification_sent", notification_id=str(notification_id), kind=key.kind, urgency=key.urgency,
             attempt=attempt, backend=backend.name)
    return "sent"


def _email_for(notification_id: UUID, recipient: str, view: NotificationView) -> OutgoingEmail:
    subject, text, html = compose(view)
    args = {"notification_id": str(notification_id)}
    if view.reference:
        args["lead_reference"] = view.reference
    return OutgoingEmail(notification_id=str(notification_id), to=recipient, subject=subject, text=text,
                         html=html, categories=categories_for(view), custom_args=args)


def _retry(task, notice: Notice, notification_id: UUID, exc: RetryableSendError) -> str:
    key = notice.key
    settings = get_settings()
    with unit_of_work() as session:
        repo.record_attempt(session, notification_id, status=repo.PENDING, error=exc.reason,
                            ambiguous=exc.ambiguous)
    crisis = key.urgency == "crisis"
    deadline = policy.send_deadline(key.urgency, key.triggered_at, settings.notify_crisis_send_deadline_seconds)
    if deadline is not None and utcnow() >= deadline:
        escalate_unsent_crisis(notification_id)
    retries = task.request.retries or 0
    if not crisis and retries >= policy.MAX_RETRIES:
        fail_notification(notification_id, f"retries_exhausted:{exc.reason}", status=None)
        return "failed"
    delay = policy.retry_delay(exc.retry_after, retries, random.random())
    log.warning("notification_retry", notification_id=str(notification_id), kind=key.kind, reason=exc.reason,
                ambiguous=exc.ambiguous, countdown=round(delay, 1), retries=retries)
    raise RetryLater(delay, unlimited=crisis, reason=exc.reason)


def fail_notification(notification_id: UUID, reason: str, status: int | None) -> None:
    """Failed for good: visible, and the lead's ladder moves on."""
    with unit_of_work() as session:
        if not repo.mark_failed(session, notification_id, reason):
            return  # a webhook or another worker already settled it
        row = repo.lock(session, notification_id)
        repo.report_failure(session, row, reason)
        repo.raise_alert(session, row, "email_failed", "critical" if row.urgency == "crisis" else "warning")
    log.error("notification_failed", notification_id=str(notification_id), kind=row.kind, reason=reason,
              status=status)


def escalate_unsent_crisis(notification_id: UUID) -> bool:
    """A crisis notice still not accepted past its deadline: critical alarm + routing told (once)."""
    with unit_of_work() as session:
        row = repo.lock(session, notification_id)
        if row is None or row.failure_reported_at is not None or row.status in repo.DONE:
            return False
        if not repo.report_failure(session, row, "crisis_email_overdue"):
            return False
        repo.raise_alert(session, row, "crisis_email_overdue", "critical")
    log.error("crisis_email_overdue", notification_id=str(notification_id), lead_id=str(row.lead_id))
    return True
