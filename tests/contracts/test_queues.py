"""Every task a producer can send has a registered consumer on a lane some worker reads; each
pipeline stage has its own lane, so no stage waits for an earlier one to drain."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from shared import tasks
from shared.events import parse_event


def default_worker_queues() -> list[str]:
    from careroute.cli import worker

    default = inspect.signature(worker).parameters["queues"].default.default
    return default.split(",")


def test_default_worker_reads_every_queue_crisis_first_then_from_the_pipelines_end():
    queues = default_worker_queues()
    assert queues == ["crisis", "maintenance", "notify", "route", "classify"]
    assert set(queues) == set(tasks.ALL_QUEUES)


def test_every_event_goes_to_a_registered_task_on_a_known_queue():
    from shared.celery import celery_app

    celery_app.loader.import_default_modules()
    registered = set(celery_app.tasks)
    for path in (Path(__file__).parent / "samples").glob("*.json"):
        event = parse_event(json.loads(path.read_text()))
        assert event.task_name in registered
        assert event.queue() in tasks.ALL_QUEUES


def test_each_stage_has_its_own_lane_and_a_crisis_takes_the_crisis_lane_at_every_stage():
    from uuid import uuid4

    from shared.events import LeadClassifiedV1, LeadReceivedV1, LeadRoutedV1, NotificationSentV1

    lead, person = uuid4(), uuid4()
    received = LeadReceivedV1(lead_id=lead, channel="web")
    classified = LeadClassifiedV1(lead_id=lead, urgency="routine", classifier_version="t")
    routed = LeadRoutedV1(lead_id=lead, assignment_id=uuid4(), coordinator_id=person, urgency="routine")
    sent = NotificationSentV1(notification_id=uuid4(), lead_id=lead, kind="lead_assigned", urgency="routine")
    assert [received.queue(), classified.queue(), routed.queue(), sent.queue()] == [
        "classify",
        "route",
        "notify",
        "route",
    ]
    crisis = [
        LeadReceivedV1(lead_id=lead, channel="web", risk_flag=True),
        classified.model_copy(update={"urgency": "crisis"}),
        routed.model_copy(update={"urgency": "crisis"}),
        sent.model_copy(update={"urgency": "crisis"}),
    ]
    assert {event.queue() for event in crisis} == {"crisis"}


def test_every_task_has_a_lane_and_every_beat_job_runs_on_the_maintenance_lane():
    from shared.celery import celery_app

    celery_app.loader.import_default_modules()
    ours = {name for name in celery_app.tasks if name.startswith(("intake.", "routing.", "notify."))}
    assert ours == set(tasks.TASK_LANES)
    for name, entry in celery_app.conf.beat_schedule.items():
        assert entry["options"]["queue"] == tasks.MAINTENANCE_QUEUE, name
        assert celery_app.amqp.router.route({}, entry["task"])["queue"].name == tasks.MAINTENANCE_QUEUE


def test_lane_names_give_their_queues_in_polling_order_and_unknown_names_are_refused():
    assert tasks.lane_queues("classify") == ["classify"]
    assert tasks.lane_queues("route, notify") == ["notify", "route"]
    assert tasks.lane_queues("classify,crisis") == ["crisis", "classify"]
    assert tasks.lane_queues("all") == list(tasks.ALL_QUEUES)
    with pytest.raises(ValueError, match="routing"):
        tasks.lane_queues("routing")


def test_the_sweeper_is_scheduled_on_a_consumed_queue():
    from shared.celery import celery_app

    entry = celery_app.conf.beat_schedule["sweep-stuck-leads"]
    assert entry["task"] == tasks.SWEEP_STUCK_LEADS
    assert entry["options"]["queue"] in default_worker_queues()
