"""routing.sweep_stuck_leads: redispatch leads stuck in a pipeline status (app/sweep.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.celery import celery_app
from shared.clock import utcnow
from shared.outbox import beat
from shared.settings import get_settings
from shared.tasks import SWEEP_STUCK_LEADS

from services.routing.adapters.repository import routing_uow
from services.routing.app.sweep import sweep_stuck


def sweep_once(now: datetime | None = None) -> int:
    settings = get_settings()
    now = now or utcnow()
    with routing_uow() as repo:
        redispatched = sweep_stuck(
            repo,
            now,
            crisis_cutoff=now - timedelta(seconds=settings.stuck_crisis_seconds),
            other_cutoff=now - timedelta(seconds=settings.stuck_other_seconds),
        )
    beat("sweeper")
    return redispatched


@celery_app.task(name=SWEEP_STUCK_LEADS, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_stuck_leads() -> int:
    return sweep_once()
