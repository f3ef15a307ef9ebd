"""Send policy: which notices move the routing ladder, how long to wait before a retry, and when
a notice is late. Pure functions: no I/O, no clock of their own."""

from __future__ import annotations

from datetime import datetime, timedelta

# Notices to a coordinator about one lead: when one fails for good, routing must move the ladder on
# (NotificationFailedV1). Referrer emails, digests and alerts never move a ladder.
LADDER_KINDS = frozenset({"lead_assigned", "repeat_contact", "reassignment", "escalation", "crisis_repeat"})
# An alert's own failure never raises another alert (a bad key or a bouncing supervisor address
# would otherwise feed a loop of alerts about alerts).
SILENT_FAILURE_KINDS = frozenset({"alert"})
# One referrer email per referral and FHIR Task status: the status's place is the notice's step.
REFERRAL_STEPS = {"received": 0, "accepted": 1, "in-progress": 2, "completed": 3, "rejected": 4}

MAX_RETRY_DELAY = 120.0  # far below the broker's visibility timeout (an hour by default)
BACKOFF_BASE = 2.0
MAX_RETRIES = 10  # non-crisis notices; crisis ones keep trying (and raise the alarm past their deadline)
# A non-crisis notice still unsent this long after it was created has outlived every retry its task
# could make (10 × 120 s at most): its retry message was lost with a broker. Fail it visibly.
NEVER_SENT_AFTER = timedelta(seconds=MAX_RETRIES * MAX_RETRY_DELAY + 600)


def retry_delay(retry_after: float | None, retries: int, jitter: float) -> float:
    """Seconds before the next try.

    retry_after (a 429's X-RateLimit-Reset, jitter already added by the backend) wins; otherwise
    exponential backoff 2, 4, 8 … capped at MAX_RETRY_DELAY, with "equal jitter": half the step
    fixed, half random (jitter in [0, 1)), so many workers never retry in the same second.
    """
    if retry_after is not None:
        return max(0.0, min(float(retry_after), MAX_RETRY_DELAY))
    step = min(BACKOFF_BASE * (2 ** max(0, retries)), MAX_RETRY_DELAY)
    return step / 2 + step / 2 * min(max(jitter, 0.0), 1.0)


def routed_kind(repeat_contact: bool, reassigned: bool) -> str:
    """The kind of notice a `lead.routed` event asks for."""
    if repeat_contact:
        return "repeat_contact"
    if reassigned:
        return "reassignment"
    return "lead_assigned"


def send_deadline(urgency: str | None, triggered_at: datetime | None, crisis_seconds: float) -> datetime | None:
    """When a crisis notice that still is not accepted must stop waiting on email alone."""
    if urgency != "crisis" or triggered_at is None:
        return None
    return triggered_at + timedelta(seconds=crisis_seconds)


def delivery_deadline(urgency: str | None, sent_at: datetime, crisis_seconds: float, other_seconds: float) -> datetime:
    """When a sent notice with no delivery event counts as lost."""
    return sent_at + timedelta(seconds=crisis_seconds if urgency == "crisis" else other_seconds)
