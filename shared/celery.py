"""The Celery app every worker, the relay and beat share.

Reliability choices (see docs/reliability.md): late acks and reject-on-worker-lost so a killed
process gives its task back; prefetch 1 so a busy worker does not sit on crisis tasks; no result
backend (results would put data in Redis); hard time limits far below the visibility timeout, so
Redis never redelivers a task that is still running.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery, signals

from shared import tasks
from shared.settings import Settings, get_settings

# The packages whose tasks a worker loads, by name (this module imports no service). Pipeline
# tasks register through shared.retry.pipeline_task: late acks and one retry policy.
TASK_MODULES = ["services.routing.tasks", "services.notify.tasks"]


def _transport_options(settings: Settings) -> dict:
    if settings.broker_url.startswith("filesystem"):
        queue_dir = settings.broker_dir / "queue"
        processed = settings.broker_dir / "processed"
        # kombu keeps its exchange tables in ./control by default: relative to wherever the
        # process was started. Keep them beside the queue so every process finds the same ones.
        control = settings.broker_dir / "control"
        for folder in (queue_dir, processed, control):
            folder.mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed),
            "control_folder": str(control),
            "store_processed": False,
            "polling_interval": 0.05,
            "queue_order_strategy": "priority",
        }
    timeout = settings.broker_publish_timeout_seconds
    prefix = {"global_keyprefix": settings.broker_key_prefix} if settings.broker_key_prefix else {}
    return {
        **prefix,
        "visibility_timeout": settings.broker_visibility_timeout_seconds,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "socket_keepalive": True,
        "health_check_interval": 10,
        # Poll a worker's queues in the order given (crisis first, then the later stages: see
        # shared/tasks.py); kombu otherwise rotates queue order.
        "queue_order_strategy": "priority",
    }


def create_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("careroute", broker=settings.broker_url, include=TASK_MODULES)
    limit = settings.task_time_limit_seconds
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_time_limit=limit,
        task_soft_time_limit=max(limit - 10, 1),
        task_default_queue=tasks.ROUTE_QUEUE,
        task_create_missing_queues=True,
        # Each task's own lane when a sender names none (events name theirs: crisis or the stage).
        task_routes={name: {"queue": queue} for name, queue in tasks.TASK_LANES.items()},
        broker_transport_options=_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.broker_publish_timeout_seconds,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        beat_schedule={
            # notify: sent-but-never-delivered emails and unsent crisis emails (a DB sweep).
            "reconcile-deliveries": {
                "task": tasks.RECONCILE_DELIVERIES,
                "schedule": settings.notify_reconcile_interval_seconds,
                "options": {
                    "queue": tasks.MAINTENANCE_QUEUE,
                    "expires": settings.notify_reconcile_interval_seconds * 4,
                },
            },
            # notify: each coordinator's digest at their local digest hour (deduplicated by date).
            "send-daily-digests": {
                "task": tasks.SEND_DAILY_DIGESTS,
                "schedule": 900.0,
                "options": {"queue": tasks.MAINTENANCE_QUEUE, "expires": 900},
            },
            "sweep-stuck-leads": {
                "task": tasks.SWEEP_STUCK_LEADS,
                "schedule": settings.sweep_interval_seconds,
                "options": {"queue": tasks.MAINTENANCE_QUEUE, "expires": settings.sweep_interval_seconds * 4},
            },
            # SLA deadlines are rows: this sweep fires them (the crisis ladder needs seconds, not
            # minutes). The maintenance lane has its own worker, so it never waits behind a backlog.
            "sweep-deadlines": {
                "task": tasks.SWEEP_DEADLINES,
                "schedule": 15.0,
                "options": {"queue": tasks.MAINTENANCE_QUEUE, "expires": 60},
            },
            "check-oncall-coverage": {
                "task": tasks.CHECK_ONCALL_COVERAGE,
                "schedule": 300.0,
                "options": {"queue": tasks.MAINTENANCE_QUEUE, "expires": 600},
            },
        },
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
    )
    app.conf.update(_beat_leader_lock(settings))
    return app


def _beat_leader_lock(settings: Settings) -> dict:
    """On Redis, beat is RedBeat: schedule state and a leader lock in Redis, so two beat replicas
    are safe (the second waits on the lock and takes over when the leader stops or its lock
    expires). The embedded filesystem broker keeps Celery's file scheduler: one process there."""
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        return {}
    lock_timeout = settings.beat_lock_timeout_seconds
    return {
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "redbeat_redis_url": settings.broker_url,
        "redbeat_key_prefix": f"{settings.broker_key_prefix}redbeat",
        "redbeat_lock_timeout": lock_timeout,
        # The leader renews the lock each tick: tick well inside the lock's lifetime.
        "beat_max_loop_interval": max(1, min(5, lock_timeout // 3)),
        "redbeat_redis_options": {
            "socket_timeout": settings.broker_publish_timeout_seconds,
            "socket_connect_timeout": settings.broker_publish_timeout_seconds,
            "retry_period": lock_timeout,
        },
    }


@lru_cache(maxsize=1)
def get_celery() -> Celery:
    return create_celery()


celery_app = get_celery()


@signals.setup_logging.connect
def _use_our_logging(**_kwargs) -> None:
    from shared.logging import configure_logging

    configure_logging("worker")


@signals.worker_process_init.connect
def _fresh_connections_after_fork(**_kwargs) -> None:
    """Forget the parent's pool, then open this child's first connection now, not on a lead."""
    from sqlalchemy import text

    from shared.db import dispose_engines, get_engine

    dispose_engines(close=False, forget=False)
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # the database is away: the first task retries; nothing to do here
        pass


@signals.task_prerun.connect
def _bind_task_context(task_id=None, task=None, **_kwargs) -> None:
    import structlog

    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=task.name if task else None)


@signals.task_postrun.connect
def _clear_task_context(**_kwargs) -> None:
    import structlog

    structlog.contextvars.clear_contextvars()
