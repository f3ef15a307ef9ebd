"""Run the pipeline in this process: each unhandled outbox event goes to the task that consumes it,
called directly (as a worker would run it), until nothing new appears."""

from __future__ import annotations

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import OutboxEvent


def drain_outbox(rounds: int = 6) -> list[str]:
    """Handle every outbox event once; returns the event types handled, in order."""
    from services.notify.tasks import send_notification
    from services.routing.tasks import classify_lead, record_notification_sent, route_lead

    handlers = {
        "lead.received": classify_lead,
        "lead.classified": route_lead,
        "lead.routed": send_notification,
        "notification.sent": record_notification_sent,
    }
    handled: list[str] = []
    seen: set[int] = set()
    for _ in range(rounds):
        with unit_of_work() as session:
            rows = [
                r
                for r in session.exec(select(OutboxEvent).order_by(OutboxEvent.id)).all()
                if r.id not in seen
            ]
        if not rows:
            break
        for row in rows:
            seen.add(row.id)
            if row.event_type in handlers:
                handlers[row.event_type](row.payload)
                handled.append(row.event_type)
    return handled
