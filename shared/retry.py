"""The one retry policy, and the one way a task retries.

Use-case code raises `TransientError` (a brief outage) or its `RetryLater` (with the delay it
needs: a provider's Retry-After, or its own backoff); `pipeline_task` catches both, and
SQLAlchemy's OperationalError (the database went away), and schedules ONE retry of the task with
`self.retry(countdown=…)`. Delays are capped so that time limit + delay stays far below the
broker's visibility timeout: a longer delay would make Redis hand the task out a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy.exc import OperationalError

from shared.backoff import MAX_DELAY, MAX_RETRIES, backoff
from shared.errors import TransientError
from shared.settings import get_settings

__all__ = ["MAX_DELAY", "MAX_RETRIES", "RetryLater", "backoff", "pipeline_task", "retry"]


class RetryLater(TransientError):
    """Try this task again after `delay` seconds. `unlimited`: Celery's retry count does not stop
    it (a crisis email keeps trying; classification counts its attempts in the database)."""

    def __init__(self, delay: float, *, unlimited: bool = False, reason: str = "retryable") -> None:
        super().__init__(reason)
        self.delay = delay
        self.unlimited = unlimited
        self.reason = reason


def max_delay() -> float:
    """MAX_DELAY, or less when the visibility timeout is short: keep limit + delay under half of it."""
    settings = get_settings()
    room = settings.broker_visibility_timeout_seconds / 2 - settings.task_time_limit_seconds
    return max(1.0, min(MAX_DELAY, room))


def retry(task, exc: Exception):
    """Schedule ONE retry of `task` (a bound Celery task) for `exc`. In a worker Celery raises its
    Retry; a direct call (tests) raises `exc` itself, so its delay can be checked."""
    if isinstance(exc, RetryLater):
        countdown, limit = exc.delay, None if exc.unlimited else MAX_RETRIES
    else:
        countdown, limit = backoff(task.request.retries or 0), MAX_RETRIES
    return task.retry(exc=exc, countdown=min(countdown, max_delay()), max_retries=limit)


def pipeline_task(name: str) -> Callable:
    """Register a pipeline task: acked late and given back if its process dies, with brief
    outages retried through `retry`. The function receives the bound task first."""
    from shared.celery import celery_app

    def register(fn: Callable) -> Callable:
        @celery_app.task(name=name, bind=True, acks_late=True, reject_on_worker_lost=True)
        @functools.wraps(fn)
        def task(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs)
            except (TransientError, OperationalError) as exc:
                raise retry(self, exc) from None

        return task

    return register
