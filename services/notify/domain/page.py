"""SMS pages: what one says, who gets one, and what a reply or a status callback means.

A page carries the lead's opaque reference, its urgency, a reply code and a signed link — never a
name, a number, a condition or a word of the person's message (Twilio keeps message bodies).
Pure functions: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from services.notify.domain.policy import LADDER_KINDS, NoticeKind

SMS_CHANNEL = "sms"
EMAIL_CHANNEL = "email"
CODE_DIGITS = 6
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
# Twilio's MessageStatus values that mean the page will not reach the phone.
FAILED_STATUSES = frozenset({"failed", "undelivered"})
DELIVERED_STATUSES = frozenset({"delivered"})


def pages_by_sms(kind: str, urgency: str | None) -> bool:
    """Crisis notices and every escalation step also go by SMS: an email is not read at 3 a.m."""
    if kind in (NoticeKind.escalation, NoticeKind.crisis_repeat):
        return True
    return urgency == "crisis" and kind in LADDER_KINDS


@dataclass(frozen=True)
class OutgoingSms:
    notification_id: str
    to: str
    body: str

    def __post_init__(self) -> None:
        # Errors name the field, never echo the value.
        if not _E164.match(self.to):
            raise ValueError("to must be an E.164 phone number")
        if not self.body or len(self.body) > 320:
            raise ValueError("body must be 1 to 320 characters (two SMS segments)")

    def __repr__(self) -> str:
        return f"OutgoingSms(notification_id={self.notification_id!r})"


@runtime_checkable
class SmsBackend(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> str | None:
        """Send one SMS; return the provider's message id. Raises RetryableSendError or
        PermanentSendError (services/notify/domain/errors.py)."""
        ...


def compose_page(kind: str, urgency: str | None, reference: str, code: str, link: str) -> str:
    """One or two SMS segments: what, which lead, how to acknowledge."""
    level = (urgency or "new").upper()
    if kind == NoticeKind.crisis_repeat:
        head = f"CareRoute {level} page (repeat): lead {reference} is still not acknowledged."
        verb = "acknowledge"
    elif kind == NoticeKind.escalation:
        head = f"CareRoute escalation ({level}): lead {reference} was not acknowledged in time."
        verb = "take it"
    else:
        head = f"CareRoute {level} lead {reference} is yours."
        verb = "acknowledge"
    return f"{head} Reply {code} to {verb}, or open {link}"


def reply_code(body: str | None) -> str | None:
    """The six-digit code in a reply ("482913", "ok 482913", "ACK 482913"), or None."""
    if not body:
        return None
    found = _CODE.findall(body)
    return found[0] if len(found) == 1 else None
