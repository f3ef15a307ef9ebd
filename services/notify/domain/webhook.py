"""SendGrid Event Webhook: parse, and fold delivery events into a notification's status.

The signature check (the sendgrid helper's ECDSA) lives with the other SendGrid code, in
adapters/email/webhook_signature.py; it raises the rejections defined here.

Status order: pending < sending < sent < delivered < failed < bounced. `advance` only ever moves
up this order, so duplicates and any arrival order give the same final status (the highest one
seen):
- processed and deferred mean "sent" (deferred is the provider still trying);
- delivered never goes back to sent;
- a bounce AFTER delivered is recorded as bounced: SendGrid does send that when the receiving
  server accepted and then bounced asynchronously, and for us the coordinator did not get it, so
  the ladder must move on;
- dropped -> failed, bounce/blocked -> bounced. Both are failures; bounced outranks failed only so
  the result never depends on arrival order. A caller that reacts to failure should do so when
  the status ENTERS a failure from a non-failure (`is_failure(old)` is False).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

STATUSES = ("pending", "sending", "sent", "delivered", "failed", "bounced")
FAILURE_STATUSES = frozenset({"failed", "bounced"})
EVENT_STATUS = {
    "processed": "sent",
    "deferred": "sent",
    "delivered": "delivered",
    "dropped": "failed",
    "bounce": "bounced",
    "blocked": "bounced",
}
# Engagement events are kept by parse_events (they are harmless ids) but change no status.
KNOWN_EVENTS = frozenset(
    set(EVENT_STATUS)
    | {"open", "click", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"}
)

_RANK = {status: i for i, status in enumerate(STATUSES)}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_EVENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:=+/-]{1,200}$")
_SMTP_STATUS_RE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
# SendGrid's fixed drop reasons; anything else (free text may hold an address) becomes "dropped".
_DROP_REASONS = {
    "bounced address": "bounced_address",
    "spam reporting address": "spam_reporting_address",
    "unsubscribed address": "unsubscribed_address",
    "invalid": "invalid",
    "invalid smtpapi header": "invalid_smtpapi_header",
    "recipient list over package quota": "over_quota",
}


class WebhookRejected(Exception):
    """The request is not a genuine, fresh SendGrid delivery: answer 403 (or 400), store nothing."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class WebhookKeyError(ValueError):
    """The configured verification key is unusable: a configuration error, not a bad request."""


@dataclass(frozen=True)
class DeliveryEvent:
    notification_id: str
    event: str
    sg_event_id: str | None  # the provider's id: the idempotency key when storing events
    timestamp: datetime | None
    reason_code: str | None  # e.g. "bounce:5.1.1", "blocked", "dropped:unsubscribed_address"


def parse_events(raw_body: bytes) -> list[DeliveryEvent]:
    """Our delivery events from a webhook body, keeping ids and codes only.

    Events without our notification_id custom arg (or with an unknown event name) are skipped.
    Addresses, IPs, user agents and free-text reasons in the payload are never kept.
    """
    try:
        data = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected("malformed_body") from None
    if not isinstance(data, list):
        raise WebhookRejected("malformed_body")
    events = []
    for item in data:
        if not isinstance(item, dict):
            continue
        nid = item.get("notification_id")
        event = item.get("event")
        if not isinstance(nid, str) or not _ID_RE.match(nid) or event not in KNOWN_EVENTS:
            continue
        sg_event_id = item.get("sg_event_id")
        if not isinstance(sg_event_id, str) or not _EVENT_ID_RE.match(sg_event_id):
            sg_event_id = None
        events.append(
            DeliveryEvent(
                notification_id=nid,
                event=event,
                sg_event_id=sg_event_id,
                timestamp=_event_time(item.get("timestamp")),
                reason_code=_reason_code(event, item),
            )
        )
    return events


def promote(current: str, new: str) -> str | None:
    """`new` if it is further along than `current`, else None (nothing changes)."""
    if current not in _RANK:
        raise ValueError("unknown notification status")
    if new not in _RANK:
        raise ValueError("unknown notification status")
    return new if _RANK[new] > _RANK[current] else None


def advance(current: str, event: str) -> str | None:
    """The status after a provider event, or None when the event changes nothing."""
    target = EVENT_STATUS.get(event)
    if target is None:
        if current not in _RANK:
            raise ValueError("unknown notification status")
        return None
    return promote(current, target)


def is_failure(status: str) -> bool:
    return status in FAILURE_STATUSES


def _event_time(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not 0 < value < 1e11:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def _reason_code(event: str, item: dict) -> str | None:
    status = item.get("status")
    status = status if isinstance(status, str) and _SMTP_STATUS_RE.match(status) else None
    if event in ("bounce", "blocked"):
        kind = "blocked" if event == "blocked" or item.get("type") == "blocked" else "bounce"
        return f"{kind}:{status}" if status else kind
    if event == "dropped":
        reason = item.get("reason")
        slug = _DROP_REASONS.get(reason.strip().lower()) if isinstance(reason, str) else None
        return f"dropped:{slug}" if slug else "dropped"
    if event == "deferred":
        return f"deferred:{status}" if status else "deferred"
    return None
