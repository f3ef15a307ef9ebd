"""The canary's health: did the synthetic lead the scheduler sends every minute make it through?

The lead is created by intake's `intake.send_canary` (services/intake/app/canary.py) and travels
the real lanes; routing gives it only to the canary recipient (an inactive directory row at
CAREROUTE_CANARY_EMAIL, a sink) and notify emails it there. "Delivered" is the email provider
accepting that email. Read here, across owners, for /healthz/deep and /metrics:

- `canary_not_delivered`: the newest canary old enough to have arrived (older than
  CAREROUTE_CANARY_DEADLINE_SECONDS) was not accepted — some stage has stopped;
- `canary_not_sent`: no canary was created within the deadline — beat or the maintenance lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from shared.clock import as_utc
from shared.schema import Lead, Notification
from shared.settings import Settings


@dataclass(frozen=True)
class CanaryStatus:
    enabled: bool
    problems: tuple[str, ...] = ()
    last_sent_at: datetime | None = None
    last_delivered_at: datetime | None = None  # when the provider accepted the latest canary email
    last_round_trip_seconds: float | None = None  # that canary: created -> accepted

    @property
    def ok(self) -> bool:
        return not self.problems


def _accepted_at(session: Session, lead_id) -> datetime | None:
    at = session.exec(
        select(func.min(Notification.sent_at)).where(
            col(Notification.lead_id) == lead_id, col(Notification.sent_at).is_not(None)
        )
    ).first()
    return as_utc(at) if at else None


def canary_status(session: Session, now: datetime, settings: Settings) -> CanaryStatus:
    if not settings.canary_enabled:
        return CanaryStatus(enabled=False)
    canaries = select(Lead.id, Lead.created_at).where(col(Lead.canary).is_(True))
    newest = session.exec(canaries.order_by(col(Lead.created_at).desc()).limit(1)).first()
    deadline = timedelta(seconds=settings.canary_deadline_seconds)
    due = session.exec(
        canaries.where(col(Lead.created_at) <= now - deadline).order_by(col(Lead.created_at).desc()).limit(1)
    ).first()
    delivered = session.exec(
        select(Lead.created_at, func.min(Notification.sent_at))
        .join(Notification, col(Notification.lead_id) == col(Lead.id))
        .where(col(Lead.canary).is_(True), col(Notification.sent_at).is_not(None))
        .group_by(Lead.id, Lead.created_at)
        .order_by(col(Lead.created_at).desc())
        .limit(1)
    ).first()
    problems = []
    if newest is None or now - as_utc(newest[1]) > deadline:
        problems.append("canary_not_sent")
    if due is not None and _accepted_at(session, due[0]) is None:
        problems.append("canary_not_delivered")
    round_trip = last_delivered = None
    if delivered is not None:
        last_delivered = as_utc(delivered[1])
        round_trip = (last_delivered - as_utc(delivered[0])).total_seconds()
    return CanaryStatus(
        enabled=True,
        problems=tuple(problems),
        last_sent_at=as_utc(newest[1]) if newest else None,
        last_delivered_at=last_delivered,
        last_round_trip_seconds=round_trip,
    )
