"""How soon a routed lead must be acknowledged. The escalation ladder (its own issue) reads this."""

from __future__ import annotations

from datetime import datetime, timedelta

ACKNOWLEDGE_WITHIN = {
    "crisis": timedelta(minutes=5),
    "urgent": timedelta(hours=1),
    # "By the end of the next business day" needs clinic hours; 24 h until the rules engine lands.
    "routine": timedelta(hours=24),
}


def acknowledge_by(urgency: str, routed_at: datetime) -> datetime:
    return routed_at + ACKNOWLEDGE_WITHIN.get(urgency, ACKNOWLEDGE_WITHIN["urgent"])
