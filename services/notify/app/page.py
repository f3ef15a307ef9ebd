"""SMS pages: crisis and escalation notices also go to the person's pager phone.

A page is its own notification row (channel "sms", recipient the E.164 number, unique per lead,
number, kind and step), sent through the same guard as an email (pending → sending → sent), so it
is sent once per page, retried while the provider is unavailable (a crisis page without limit) and
never dropped: a page that cannot be sent fails visibly and moves the ladder on. The row's
`ack_code` is what the person texts back (app/page_replies.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from shared.backoff import MAX_RETRIES, backoff
from shared.clock import utcnow
from shared.links import lead_link
from shared.logging import get_logger
from shared.retry import RetryLater
from shared.schema import NotificationStatus, Urgency
from shared.settings import get_settings

from services.notify.app.deliver import DONE, MAX_UNKNOWN_OUTCOMES, raise_alert, report_failure
from services.notify.app.ports import NoticeKey, UnitOfWork
from services.notify.domain.errors import PermanentSendError, RetryableSendError
from services.notify.domain.page import SMS_CHANNEL, OutgoingSms, SmsBackend, compose_page, pages_by_sms

log = get_logger(__name__)


@dataclass(frozen=True)
class Page:
    key: NoticeKey
    reference: str
    link: str
    actor: str


def _stale_after() -> timedelta:
    return timedelta(seconds=get_settings().twilio_timeout_seconds * 3 + 30)


def page_notice(
    uow: UnitOfWork,
    *,
    kind: str,
    lead_id: UUID,
    coordinator_id: UUID,
    urgency: str,
    step: int,
    triggered_at: datetime,
    actor: str,
) -> Page | None:
    """The page that goes with this notice, or None (not a paging kind, or no pager phone)."""
    if not pages_by_sms(kind, urgency):
        return None
    with uow() as repo:
        lead = repo.lead(lead_id)
        coordinator = repo.coordinator(coordinator_id)
        if lead is None or coordinator is None or not coordinator.pager_phone:
            log.info("page_skipped", reason="no_pager_phone", kind=kind)
            return None
        key = NoticeKey(
            kind=kind,
            recipient=coordinator.pager_phone,
            lead_id=lead.id,
            step=step,
            coordinator_id=coordinator.id,
            urgency=urgency,
            triggered_at=triggered_at,
            channel=SMS_CHANNEL,
        )
        return Page(
            key=key, reference=lead.reference, link=lead_link(lead.reference, coordinator.id), actor=actor
        )


def deliver_page(uow: UnitOfWork, backend: SmsBackend, page: Page, retries: int) -> str:
    """Send `page` at most once ("sent", "done", "busy", "failed"); raises RetryLater."""
    key = page.key
    now = utcnow()
    with uow() as repo:
        row = repo.find_or_create(key)
        if row.status in DONE:
            return "done"
        was_stale_sending = row.status == NotificationStatus.sending
        notification_id, code = row.id, row.ack_code
        ambiguous = row.ambiguous_attempts or 0
        attempt = repo.claim(notification_id, now, now - _stale_after())
    if attempt is None:
        return "busy"
    if was_stale_sending:
        ambiguous += 1
        with uow() as repo:
            repo.record_attempt(notification_id, ambiguous=True, error="resent_after_unknown_outcome")
    if ambiguous >= MAX_UNKNOWN_OUTCOMES:
        return _sent(uow, page, notification_id, None, backend.name, unconfirmed=True)
    body = compose_page(key.kind, key.urgency, page.reference, code or "", page.link)
    try:
        sid = backend.send(OutgoingSms(notification_id=str(notification_id), to=key.recipient, body=body))
    except RetryableSendError as exc:
        if exc.ambiguous and ambiguous + 1 >= MAX_UNKNOWN_OUTCOMES:
            with uow() as repo:
                repo.record_attempt(notification_id, ambiguous=True, error=exc.reason)
            return _sent(uow, page, notification_id, None, backend.name, unconfirmed=True)
        with uow() as repo:
            repo.record_attempt(
                notification_id, status=NotificationStatus.pending, error=exc.reason, ambiguous=exc.ambiguous
            )
        crisis = key.urgency == Urgency.crisis
        if not crisis and retries >= MAX_RETRIES:
            fail_page(uow, notification_id, f"retries_exhausted:{exc.reason}")
            return "failed"
        delay = backoff(retries, retry_after=exc.retry_after)
        log.warning("page_retry", notification_id=str(notification_id), reason=exc.reason, retries=retries)
        raise RetryLater(delay, unlimited=crisis, reason=exc.reason) from None
    except PermanentSendError as exc:
        fail_page(uow, notification_id, exc.reason)
        return "failed"
    return _sent(uow, page, notification_id, sid, backend.name)


def _sent(
    uow: UnitOfWork,
    page: Page,
    notification_id: UUID,
    sid: str | None,
    backend: str,
    unconfirmed: bool = False,
) -> str:
    with uow() as repo:
        repo.mark_sent(notification_id, sid, backend, utcnow())
        repo.audit(page.actor, "lead.page", page.key.lead_id, {"notification_id": str(notification_id)})
    log.info(
        "page_sent",
        notification_id=str(notification_id),
        kind=page.key.kind,
        urgency=page.key.urgency,
        backend=backend,
        unconfirmed=unconfirmed,
    )
    return "sent"


def fail_page(uow: UnitOfWork, notification_id: UUID, reason: str) -> None:
    """The page will not reach the phone: visible (alert), and the lead's ladder moves on."""
    with uow() as repo:
        if not repo.mark_failed(notification_id, reason):
            return
        row = repo.lock(notification_id)
        report_page_failure(repo, row, reason)
    log.error("page_failed", notification_id=str(notification_id), reason=reason)


def report_page_failure(repo, row, reason: str) -> None:
    report_failure(repo, row, reason)
    raise_alert(repo, row, "sms_failed", "critical" if row.urgency == Urgency.crisis else "warning")
