"""notify.reconcile_deliveries (beat, every minute): overdue deliveries, unsent crisis emails and
abandoned notices (app/reconcile.py)."""

from __future__ import annotations

from datetime import datetime

from shared.celery import celery_app
from shared.clock import utcnow
from shared.logging import get_logger
from shared.outbox import beat
from shared.tasks import RECONCILE_DELIVERIES

from services.notify.adapters.repository import notify_uow
from services.notify.app.reconcile import reconcile

log = get_logger(__name__)


def reconcile_once(now: datetime | None = None) -> dict[str, int]:
    return reconcile(notify_uow, now or utcnow())


@celery_app.task(name=RECONCILE_DELIVERIES, acks_late=True, reject_on_worker_lost=True)
def reconcile_deliveries() -> dict[str, int]:
    counts = reconcile_once()
    beat("notify-reconciler")
    if any(counts.values()):
        log.info("deliveries_reconciled", **counts)
    return counts
