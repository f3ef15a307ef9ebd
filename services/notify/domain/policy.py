"""Send policy: which notices move the routing ladder, how long to wait before a retry, and when
a notice is late. Pure functions: no I/O, no clock of their own."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from shared.backoff import MAX_DELAY, MAX_RETRIES


class NoticeKind(StrEnum):
    lead_assigned = "lead_assigned"
    repeat_contact = "repeat_contact"
    escalation = "escalation"
    crisis_repeat = "crisis_repeat"
    reassignment = "reassignment"
    daily_digest = "daily_digest"
    referral_received = "referral_received"
    referral_status = "referral_status"
    alert = "alert"
    crisis_checked = "crisis_checked"  # a possible crisis confirmed (urgency crisis) or downgraded


# Notices to a coordinator about one lead: when one fails for good, routing must move the ladder on
# (NotificationFailedV1); when one is sent, routing hears of it (NotificationSentV1). Referrer
# emails, digests and alerts never move a ladder.
LADDER_KINDS = frozenset(
    {
        NoticeKind.lead_assigned,
        NoticeKind.repeat_contact,
        NoticeKind.reassignment,
        NoticeKind.escalation,
        NoticeKind.crisis_repeat,
    }
)
# An alert's own failure never raises another alert (a bad key or a bouncing supervisor address
# would otherwise feed a loop of alerts about alerts).
SILENT_FAILURE_KINDS = frozenset({NoticeKind.alert})
# One referrer email per referral and FHIR Task status: the status's place is the notice's step.
REFERRAL_STEPS = {"received": 0, "accepted": 1, "in-progress": 2, "completed": 3, "rejected": 4}

# A non-crisis notice still unsent this long after it was created has outlived every retry its task
# could make: its retry message was lost with a broker. Fail it visibly.
NEVER_SENT_AFTER = timedelta(seconds=MAX_RETRIES * MAX_DELAY + 600)


def routed_kind(repeat_contact: bool, reassigned: bool) -> NoticeKind:
    """The kind of notice a `lead.routed` event asks for."""
    if repeat_contact:
        return NoticeKind.repeat_contact
    if reassigned:
        return NoticeKind.reassignment
    return NoticeKind.lead_assigned


def send_deadline(
    urgency: str | None, triggered_at: datetime | None, crisis_seconds: float
) -> datetime | None:
    """When a crisis notice that still is not accepted must stop waiting on email alone."""
    if urgency != "crisis" or triggered_at is None:
        return None
    return triggered_at + timedelta(seconds=crisis_seconds)


def delivery_deadline(
    urgency: str | None, sent_at: datetime, crisis_seconds: float, other_seconds: float
) -> datetime:
    """When a sent notice with no delivery event counts as lost."""
    return sent_at + timedelta(seconds=crisis_seconds if urgency == "crisis" else other_seconds)
