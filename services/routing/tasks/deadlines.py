"""Timers as rows: the deadline sweeper, the waiting-lead sweeper and the on-call coverage check.

Beat runs these every few seconds / minutes. Each due deadline is fired in its own transaction
(locked with SKIP LOCKED, so several sweepers never fire one twice), which keeps locks short and
the order lead → coordinators the same as routing's.
"""

from __future__ import annotations

from sqlmodel import col, select

from shared.celery import celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.models import SlaDeadline
from shared.outbox import beat
from shared.tasks import CHECK_ONCALL_COVERAGE, SWEEP_DEADLINES

from services.routing.adapters import operations as ops

log = get_logger(__name__)


def sweep_deadlines_once(now=None, limit: int = 200) -> dict:
    now = now or utcnow()
    with unit_of_work() as session:
        due = session.exec(
            select(SlaDeadline.id).where(SlaDeadline.status == "pending", col(SlaDeadline.due_at) <= now)
            .order_by(col(SlaDeadline.due_at)).limit(limit)
        ).all()
    outcomes: dict[str, int] = {}
    for deadline_id in due:
        with unit_of_work() as session:
            outcome = ops.fire_deadline(session, deadline_id, now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    with unit_of_work() as session:
        waiting = ops.redispatch_waiting(session, now)
    if waiting:
        outcomes["waiting_redispatched"] = waiting
    beat("deadline_sweeper")
    return outcomes


def check_coverage_once(now=None) -> int:
    with unit_of_work() as session:
        gaps = ops.check_coverage(session, now or utcnow())
    if gaps:
        log.error("oncall_coverage_gap", gaps=len(gaps), first_gap_start=gaps[0].start.isoformat())
    return len(gaps)


@celery_app.task(name=SWEEP_DEADLINES, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sweep_deadlines() -> dict:
    return sweep_deadlines_once()


@celery_app.task(name=CHECK_ONCALL_COVERAGE, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def check_oncall_coverage() -> int:
    return check_coverage_once()
