"""Beat's timers: the SLA deadline sweep (with waiting leads) and the on-call coverage check."""

from __future__ import annotations

from datetime import datetime

from shared.celery import celery_app
from shared.clock import utcnow
from shared.outbox import beat
from shared.tasks import CHECK_ONCALL_COVERAGE, SWEEP_DEADLINES

from services.routing.adapters.repository import routing_uow
from services.routing.app import coverage, deadlines


def sweep_deadlines_once(now: datetime | None = None, limit: int = 200) -> dict:
    outcomes = deadlines.sweep(routing_uow, now or utcnow(), limit)
    beat("deadline_sweeper")
    return outcomes


def check_coverage_once(now: datetime | None = None) -> int:
    with routing_uow() as repo:
        return len(coverage.check_coverage(repo, now or utcnow()))


@celery_app.task(name=SWEEP_DEADLINES, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_deadlines() -> dict:
    return sweep_deadlines_once()


@celery_app.task(name=CHECK_ONCALL_COVERAGE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def check_oncall_coverage() -> int:
    return check_coverage_once()
