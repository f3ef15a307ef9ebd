"""The one guarded send path every notice takes.

A notice is one notification row, unique per (lead, recipient, kind, step) — or per (subject,
recipient, kind) for notices about no single lead (alerts, digests). The caller that moves the row
pending → sending with a conditional update is the only one that sends; a duplicated, retried or
concurrent task finds the row claimed or done and stops. A `sending` row older than the stale
window means a worker died mid-send: the outcome is unknown (SendGrid has no idempotency key), so
it is sent again and counted in `ambiguous_attempts` — a rare duplicate beats a missing crisis email.
The bound is two copies: after a second unknown outcome (a resend whose answer was lost too) the
row is taken as sent without a message id ("unconfirmed"), and the provider's webhook or the
reconciler (sent but never delivered → escalate) settles it; it is never sent a third time.

Failures:
- retryable (429, 5xx, timeouts, connection loss): back to pending, and RetryLater after the
  provider's X-RateLimit-Reset or backoff. Crisis notices retry without limit; past their send
  deadline they also raise a critical alarm and tell routing (NotificationFailedV1), so the lead
  never waits on the email provider alone.
- permanent (400/401/403/413 …): failed at once, no retry storm; routing is told (ladder kinds)
  and supervisors get an `email_failed` alert (never for an alert's own failure).
A sent coordinator notice about a lead is announced to routing (NotificationSentV1) in the same
transaction that marks it sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from shared.backoff import MAX_RETRIES, backoff
from shared.clock import utcnow
from shared.events import AlertRaisedV1, NotificationFailedV1, NotificationSentV1
from shared.links import lead_link
from shared.logging import get_logger
from shared.retry import RetryLater
from shared.schema import Notification, NotificationStatus, Urgency
from shared.settings import get_settings

from services.notify.app.ports import NoticeKey, NotifyRepository, UnitOfWork
from services.notify.domain import policy
from services.notify.domain.compose import NotificationView, categories_for, compose
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.message import EmailBackend, OutgoingEmail

log = get_logger(__name__)
DONE = frozenset(
    {
        NotificationStatus.sent,
        NotificationStatus.delivered,
        NotificationStatus.bounced,
        NotificationStatus.failed,
    }
)
SENT = frozenset({NotificationStatus.sent, NotificationStatus.delivered})
_URGENCIES = {u.value for u in Urgency}
# Sends whose outcome was unknown (accepted, answer lost) before a notice counts as sent: each may
# have been delivered, so this is also the most copies a coordinator can get (docs/notify.md).
MAX_UNKNOWN_OUTCOMES = 2


@dataclass(frozen=True)
class Notice:
    key: NoticeKey
    view: NotificationView
    actor: str = "task:notify"


def _stale_after() -> timedelta:
    # Longer than any single send can take (the HTTP timeout) plus a margin.
    return timedelta(seconds=get_settings().sendgrid_timeout_seconds * 3 + 30)


def coordinator_notice(
    uow: UnitOfWork,
    *,
    kind: str,
    lead_id: UUID,
    coordinator_id: UUID,
    urgency: str,
    step: int,
    acknowledge_by: datetime | None,
    triggered_at: datetime,
    actor: str,
    assignment_id: UUID | None = None,
) -> Notice | None:
    """A notice to a coordinator about one lead: opaque reference, urgency, times, signed link."""
    with uow() as repo:
        lead = repo.lead(lead_id)
        coordinator = repo.coordinator(coordinator_id)
        if lead is None or coordinator is None:
            log.warning("notify_skipped", reason="missing_lead_or_coordinator")
            return None
        view = NotificationView(
            kind=kind,
            recipient_display_name=coordinator.name,
            received_at=lead.created_at,
            reference=lead.reference,
            link=lead_link(lead.reference, coordinator.id),
            urgency=urgency,
            channel=lead.channel,
            sla_deadline=acknowledge_by,
            step=step,
            preferred_contact_method=repo.preferred_contact_method(lead.id),
            possible_crisis=repo.possible_crisis_pending(lead.id),
        )
        key = NoticeKey(
            kind=kind,
            recipient=coordinator.email,
            lead_id=lead.id,
            step=step,
            coordinator_id=coordinator.id,
            assignment_id=assignment_id,
            urgency=urgency,
            triggered_at=triggered_at,
        )
    return Notice(key=key, view=view, actor=actor)


def deliver(uow: UnitOfWork, backend: EmailBackend, notice: Notice, retries: int) -> str:
    """Send `notice` at most once. Returns "sent", "done" (already sent), "busy" (another worker
    holds it) or "failed"; raises RetryLater for retryable errors (`retries`: tries so far)."""
    key = notice.key
    now = utcnow()
    with uow() as repo:
        row = repo.find_or_create(key)
        if row.status in DONE:
            if row.status in SENT:
                announce_sent(repo, row)  # again: routing's earlier task may have been lost
            return "done"
        was_stale_sending = row.status == NotificationStatus.sending
        notification_id = row.id
        ambiguous = row.ambiguous_attempts or 0
        attempt = repo.claim(notification_id, now, now - _stale_after())
    if attempt is None:
        log.info("notify_skipped", reason="another_worker_is_sending", notification_id=str(notification_id))
        return "busy"
    if was_stale_sending:
        ambiguous += 1
        with uow() as repo:
            repo.record_attempt(notification_id, ambiguous=True, error="resent_after_unknown_outcome")
    if ambiguous >= MAX_UNKNOWN_OUTCOMES:
        return _sent_unconfirmed(uow, notice, notification_id, backend.name)

    try:
        message_id = backend.send(_email_for(notification_id, key.recipient, notice.view))
    except RetryableSendError as exc:
        if exc.ambiguous and ambiguous + 1 >= MAX_UNKNOWN_OUTCOMES:
            with uow() as repo:
                repo.record_attempt(notification_id, ambiguous=True, error=exc.reason)
            return _sent_unconfirmed(uow, notice, notification_id, backend.name)
        return _retry(uow, notice, notification_id, exc, retries)
    except PermanentSendError as exc:
        fail_notification(uow, notification_id, exc.reason, status=exc.status)
        return "failed"

    with uow() as repo:
        repo.mark_sent(notification_id, message_id, backend.name, utcnow())
        row = repo.lock(notification_id)
        announce_sent(repo, row)
        if key.lead_id is not None:
            repo.audit(
                notice.actor,
                "lead.notify",
                key.lead_id,
                {"notification_id": str(notification_id), "kind": key.kind},
            )
    log.info(
        "notification_sent",
        notification_id=str(notification_id),
        kind=key.kind,
        urgency=key.urgency,
        attempt=attempt,
        backend=backend.name,
    )
    return "sent"


def _sent_unconfirmed(uow: UnitOfWork, notice: Notice, notification_id: UUID, backend: str) -> str:
    """Two sends with an unknown outcome: the provider may hold two copies already, so a third is
    never sent. Taken as sent (no message id); the webhook or the reconciler settles it."""
    with uow() as repo:
        repo.mark_sent(notification_id, None, backend, utcnow())
        row = repo.lock(notification_id)
        announce_sent(repo, row)
    log.warning(
        "notification_sent_unconfirmed",
        notification_id=str(notification_id),
        kind=notice.key.kind,
        urgency=notice.key.urgency,
    )
    return "sent"


def announce_sent(repo: NotifyRepository, row: Notification) -> None:
    """Tell routing a coordinator's notice about a lead went out (it moves routed → notified)."""
    if row.kind not in policy.LADDER_KINDS or row.lead_id is None:
        return
    repo.emit(
        NotificationSentV1(
            notification_id=row.id,
            lead_id=row.lead_id,
            kind=row.kind,
            step=row.step,
            coordinator_id=row.coordinator_id,
            urgency=row.urgency if row.urgency in _URGENCIES else None,
        )
    )


def _email_for(notification_id: UUID, recipient: str, view: NotificationView) -> OutgoingEmail:
    subject, text, html = compose(view)
    args = {"notification_id": str(notification_id)}
    if view.reference:
        args["lead_reference"] = view.reference
    return OutgoingEmail(
        notification_id=str(notification_id),
        to=recipient,
        subject=subject,
        text=text,
        html=html,
        categories=categories_for(view),
        custom_args=args,
    )


def _retry(
    uow: UnitOfWork, notice: Notice, notification_id: UUID, exc: RetryableSendError, retries: int
) -> str:
    key = notice.key
    with uow() as repo:
        repo.record_attempt(
            notification_id, status=NotificationStatus.pending, error=exc.reason, ambiguous=exc.ambiguous
        )
    crisis = key.urgency == Urgency.crisis
    deadline = policy.send_deadline(
        key.urgency, key.triggered_at, get_settings().notify_crisis_send_deadline_seconds
    )
    if deadline is not None and utcnow() >= deadline:
        escalate_unsent_crisis(uow, notification_id)
    if not crisis and retries >= MAX_RETRIES:
        fail_notification(uow, notification_id, f"retries_exhausted:{exc.reason}", status=None)
        return "failed"
    delay = backoff(retries, retry_after=exc.retry_after)
    log.warning(
        "notification_retry",
        notification_id=str(notification_id),
        kind=key.kind,
        reason=exc.reason,
        ambiguous=exc.ambiguous,
        countdown=round(delay, 1),
        retries=retries,
    )
    raise RetryLater(delay, unlimited=crisis, reason=exc.reason)


def fail_notification(uow: UnitOfWork, notification_id: UUID, reason: str, status: int | None) -> None:
    """Failed for good: visible, and the lead's ladder moves on."""
    with uow() as repo:
        if not repo.mark_failed(notification_id, reason):
            return  # a webhook or another worker already settled it
        row = repo.lock(notification_id)
        report_failure(repo, row, reason)
        raise_alert(repo, row, "email_failed", "critical" if row.urgency == Urgency.crisis else "warning")
    log.error(
        "notification_failed",
        notification_id=str(notification_id),
        kind=row.kind,
        reason=reason,
        status=status,
    )


def escalate_unsent_crisis(uow: UnitOfWork, notification_id: UUID) -> bool:
    """A crisis notice still not accepted past its deadline: critical alarm + routing told (once)."""
    with uow() as repo:
        row = repo.lock(notification_id)
        if row is None or row.failure_reported_at is not None or row.status in DONE:
            return False
        if not report_failure(repo, row, "crisis_email_overdue"):
            return False
        raise_alert(repo, row, "crisis_email_overdue", "critical")
    log.error("crisis_email_overdue", notification_id=str(notification_id), lead_id=str(row.lead_id))
    return True


def report_failure(repo: NotifyRepository, row: Notification, reason: str) -> bool:
    """Tell routing this notice will not reach its person (once per notification): it moves the
    ladder on. Only coordinator notices about a lead move a ladder. True when reported now."""
    if row.kind not in policy.LADDER_KINDS or row.lead_id is None:
        return False
    if not repo.mark_failure_reported(row.id):
        return False
    repo.emit(
        NotificationFailedV1(
            notification_id=row.id,
            lead_id=row.lead_id,
            step=row.step,
            reason=reason[:64],
            recipient_coordinator_id=row.coordinator_id,
            urgency=row.urgency if row.urgency in _URGENCIES else None,
        )
    )
    return True


def raise_alert(repo: NotifyRepository, row: Notification, code: str, severity: str) -> bool:
    """An alert for supervisors about this notice, unless the notice is itself an alert."""
    if row.kind in policy.SILENT_FAILURE_KINDS:
        return False
    repo.emit(
        AlertRaisedV1(
            alert_id=uuid4(),
            kind=code,
            severity=severity,
            lead_id=row.lead_id,
            coordinator_id=row.coordinator_id,
        )
    )
    return True
