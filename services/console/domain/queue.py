"""How the console orders and marks a queue: most urgent first, then the nearest deadline, then
the oldest; what the filters accept; how a countdown reads. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.enums import Channel, LeadStatus, Urgency

URGENCY_ORDER = {Urgency.crisis: 0, Urgency.urgent: 1, Urgency.routine: 2}
# The statuses a queue shows unless a filter asks otherwise: what someone still has to act on.
QUEUE_STATUSES = (
    LeadStatus.manual_triage,
    LeadStatus.waiting,
    LeadStatus.routed,
    LeadStatus.notified,
    LeadStatus.acknowledged,
    LeadStatus.contacted,
)
STATUS_CHOICES = tuple(s.value for s in LeadStatus)
URGENCY_CHOICES = tuple(u.value for u in Urgency)
CHANNEL_CHOICES = tuple(c.value for c in Channel)


@dataclass(frozen=True)
class Filters:
    urgency: str | None = None
    status: str | None = None
    channel: str | None = None
    coordinator: str | None = None  # supervisors: one coordinator's queue (an id), or everyone

    @classmethod
    def parse(cls, urgency: str = "", status: str = "", channel: str = "", coordinator: str = "") -> Filters:
        """Unknown values are dropped (a filter, not an input to refuse)."""
        return cls(
            urgency=urgency if urgency in URGENCY_CHOICES else None,
            status=status if status in STATUS_CHOICES else None,
            channel=channel if channel in CHANNEL_CHOICES else None,
            coordinator=coordinator or None,
        )

    def statuses(self) -> tuple[str, ...]:
        return (self.status,) if self.status else tuple(s.value for s in QUEUE_STATUSES)


def sort_key(urgency: str | None, due_at: datetime | None, created_at: datetime) -> tuple:
    rank = URGENCY_ORDER.get(urgency, 1) if urgency else 1  # not yet classified: as urgent
    return (rank, due_at is None, due_at or created_at, created_at)


def countdown(due_at: datetime | None, now: datetime) -> str:
    """ "in 4m 10s", "overdue 2h 3m": the server's first rendering; the page's script ticks it."""
    if due_at is None:
        return ""
    seconds = int((due_at - now).total_seconds())
    words = _duration(abs(seconds))
    return f"in {words}" if seconds >= 0 else f"overdue {words}"


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s"
