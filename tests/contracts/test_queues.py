"""Every task a producer can send has a registered consumer on a queue some worker reads."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

from shared import tasks
from shared.events import parse_event


def default_worker_queues() -> list[str]:
    from careroute.cli import worker

    default = inspect.signature(worker).parameters["queues"].default.default
    return default.split(",")


def test_default_worker_reads_every_queue_crisis_first():
    queues = default_worker_queues()
    assert queues[0] == tasks.CRISIS_QUEUE
    assert set(queues) == set(tasks.ALL_QUEUES)


def test_every_event_goes_to_a_registered_task_on_a_known_queue():
    from shared.celery import celery_app

    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)
    for path in (Path(__file__).parent / "samples").glob("*.json"):
        event = parse_event(json.loads(path.read_text()))
        assert event.task_name in registered
        assert event.queue() in tasks.ALL_QUEUES


def test_the_sweeper_is_scheduled_on_a_consumed_queue():
    from shared.celery import celery_app

    entry = celery_app.conf.beat_schedule["sweep-stuck-leads"]
    assert entry["task"] == tasks.SWEEP_STUCK_LEADS
    assert entry["options"]["queue"] in default_worker_queues()
