"""SendGrid Event Webhook: verify, parse, and fold delivery events into a notification's status.

Verification uses the sendgrid helper (ECDSA P-256 over timestamp + raw body) and adds what it
lacks: a timestamp window against replays, and a clean rejection instead of an exception when the
signature is malformed. (This is the one domain module that imports sendgrid: the brief puts the
helper here; it does no I/O.)

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

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook

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
    set(EVENT_STATUS) | {"open", "click", "spamreport", "unsubscribe", "group_unsubscribe", "group_resubscribe"}
)

_RANK = {status: i for i, status in enumerate(STATUSES)}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_EVENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:=+/-]{1,200}$")
_TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
_SMTP_STATUS_RE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
_MAX_SIGNATURE_CHARS = 200  # a DER P-256 signature is at most 72 bytes (96 base64 chars)
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


def verify_signed_webhook(
    public_key_pem_or_b64: str,
    raw_body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float,
    window_seconds: int = 300,
) -> None:
    """Raise WebhookRejected(code) unless the body is signed by the key and the timestamp is fresh.

    Codes: missing_signature, missing_timestamp, malformed_timestamp, stale_timestamp,
    malformed_signature, malformed_body, bad_signature. Raises WebhookKeyError for a bad key.
    """
    key = load_public_key(public_key_pem_or_b64)
    if signature is None or not signature.strip():
        raise WebhookRejected("missing_signature")
    if timestamp is None or not timestamp.strip():
        raise WebhookRejected("missing_timestamp")
    ts = timestamp.strip()
    if not _TIMESTAMP_RE.match(ts):
        raise WebhookRejected("malformed_timestamp")
    # Cheap checks before the ECDSA verify; a replay outside the window is refused either way.
    if abs(now - int(ts)) > window_seconds:
        raise WebhookRejected("stale_timestamp")
    sig = signature.strip()
    if len(sig) > _MAX_SIGNATURE_CHARS:
        raise WebhookRejected("malformed_signature")
    try:
        if not base64.b64decode(sig, validate=True):
            raise WebhookRejected("malformed_signature")
    except (binascii.Error, ValueError):
        raise WebhookRejected("malformed_signature") from None
    try:
        payload = raw_body.decode("utf-8")  # the helper signs str; strict decoding keeps bytes exact
    except UnicodeDecodeError:
        raise WebhookRejected("malformed_body") from None
    try:
        ok = EventWebhook().verify_signature(payload, sig, ts, public_key=key)
    except (InvalidSignature, ValueError, TypeError):
        # The helper raises on a signature that is valid base64 but not a DER ECDSA signature.
        raise WebhookRejected("malformed_signature") from None
    if not ok:
        raise WebhookRejected("bad_signature")


@lru_cache(maxsize=8)
def load_public_key(public_key_pem_or_b64: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the key as base64 DER (SubjectPublicKeyInfo); a PEM block is accepted too."""
    text = public_key_pem_or_b64.strip()
    if "-----BEGIN" in text:
        text = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    b64 = "".join(text.split())
    if not b64:
        raise WebhookKeyError("empty webhook verification key")
    try:
        key = EventWebhook().convert_public_key_to_ecdsa(b64)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise WebhookKeyError("webhook verification key is not a valid public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise WebhookKeyError("webhook verification key must be ECDSA P-256")
    return key


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
    return datetime.fromtimestamp(value, tz=timezone.utc)


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
