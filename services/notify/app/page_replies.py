"""What comes back from Twilio: the on-call person's reply, and a page's delivery status.

A reply carrying a current page's code (from the number that page went to) acknowledges the lead
as that person: notify tells routing (PageAcknowledgedV1), which acts exactly as for the page's
signed link. A `failed` or `undelivered` status callback feeds the ladder as an email bounce does.
Neither the reply's text nor the sender's number is logged or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events import PageAcknowledgedV1
from shared.logging import get_logger
from shared.settings import get_settings

from services.notify.app.page import report_page_failure
from services.notify.app.ports import NotifyRepository, PageStore
from services.notify.domain.page import DELIVERED_STATUSES, FAILED_STATUSES, reply_code

log = get_logger(__name__)
_URGENCIES = {"crisis", "urgent", "routine"}


@dataclass(frozen=True)
class ReplyOutcome:
    result: str  # "acknowledged", "unknown_code", "no_code"
    reference: str | None = None


def handle_reply(
    repo: NotifyRepository, pages: PageStore, sender: str, body: str | None, now: datetime
) -> ReplyOutcome:
    code = reply_code(body)
    if code is None:
        log.info("page_reply", result="no_code")
        return ReplyOutcome("no_code")
    since = now - timedelta(seconds=get_settings().link_ttl_seconds)
    row = pages.page_for_reply(sender, code, since)
    if row is None or row.lead_id is None or row.coordinator_id is None:
        log.warning("page_reply", result="unknown_code")
        return ReplyOutcome("unknown_code")
    repo.emit(
        PageAcknowledgedV1(
            notification_id=row.id,
            lead_id=row.lead_id,
            coordinator_id=row.coordinator_id,
            urgency=row.urgency if row.urgency in _URGENCIES else None,
        )
    )
    repo.audit(f"sms:{row.coordinator_id}", "lead.page_reply", row.lead_id, {"notification_id": str(row.id)})
    lead = repo.lead(row.lead_id)
    log.info("page_reply", result="acknowledged", notification_id=str(row.id), lead_id=str(row.lead_id))
    return ReplyOutcome("acknowledged", lead.reference if lead else None)


def apply_status(
    repo: NotifyRepository, pages: PageStore, message_id: str, status: str, now: datetime
) -> str:
    """ "delivered", "failed", "ignored" (an intermediate or repeated status) or "unknown"."""
    row = pages.page_by_message_id(message_id)
    if row is None:
        log.info("page_status", result="unknown")
        return "unknown"
    if status in DELIVERED_STATUSES:
        result = "delivered" if pages.mark_delivered(row.id, now) else "ignored"
    elif status in FAILED_STATUSES:
        result = "ignored"
        if pages.mark_undelivered(row.id, f"sms_{status}", now):
            report_page_failure(repo, row, f"sms_{status}")
            result = "failed"
    else:
        result = "ignored"
    log.info("page_status", result=result, status=status, notification_id=str(row.id))
    return result
