"""Fault injection on one machine: a Redis of our own that we stop, and workers we SIGKILL.

The claims under test: intake keeps answering 202 with the broker down; the outbox and the
sweeper bring every lead to `notified`; each lead gets exactly one email, except the counted
ambiguous resends the notify service documents.
"""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest
import redis
from sqlmodel import func, select

from shared.db import unit_of_work
from shared.schema import LeadState, Notification
from tests.factories import make_coordinator, web_form
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.pipeline import Pipeline
from tests.support.servers import RedisServer, wait_for

pytestmark = pytest.mark.faults
LEADS = 100

MESSAGES = [
    "Depression for years, nothing has worked. Is ketamine an option?",
    "My OCD rituals take hours a day, does Spravato help?",
    "Army vet with PTSD, nightmares every night, VA referred me",
    "Do you take Aetna? Asking about infusions for my depression",
    "Lately I wish I could just disappear, depression is bad",
]


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.close()


def fault_env(redis_url: str, fake: FakeSendGrid) -> dict[str, str]:
    return {
        "CAREROUTE_BROKER_URL": redis_url,
        "CAREROUTE_EMAIL_BACKEND": "sendgrid",
        "CAREROUTE_SENDGRID_API_KEY": fake.api_key,
        "CAREROUTE_SENDGRID_HOST": fake.url,
        "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
        "CAREROUTE_BROKER_PUBLISH_TIMEOUT_SECONDS": "1",
        # Short clocks so recovery happens within the test: the same code, faster.
        "CAREROUTE_SWEEP_INTERVAL_SECONDS": "1",
        "CAREROUTE_STUCK_CRISIS_SECONDS": "3",
        "CAREROUTE_STUCK_OTHER_SECONDS": "6",
    }


def post_leads(client, count: int) -> list[str]:
    ids = []
    for i in range(count):
        # Distinct people: a shared phone number would (rightly) link them as repeat contacts.
        body = web_form(
            name=f"Fault Person {i}",
            phone=None,
            email=f"fault{i}@example.com",
            message=MESSAGES[i % len(MESSAGES)],
        )
        response = client.post(
            "/v1/inquiries/web", content=json.dumps(body), headers={"content-type": "application/json"}
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["lead_id"])
    return ids


def held_by_worker(server: RedisServer) -> int:
    """Messages a worker has taken but not acknowledged (kombu's `unacked` hash)."""
    prefix = os.environ.get("CAREROUTE_BROKER_KEY_PREFIX", "")
    return redis.Redis.from_url(server.url).hlen(f"{prefix}unacked")


def notified_count() -> int:
    with unit_of_work() as session:
        return session.exec(
            select(func.count()).select_from(LeadState).where(LeadState.status == "notified")
        ).one()


def assert_one_email_per_lead(fake: FakeSendGrid, leads: int = LEADS) -> None:
    """Counts the new-lead emails (alerts such as a coverage gap may be sent beside them)."""
    with unit_of_work() as session:
        rows = session.exec(select(Notification).where(Notification.kind == "lead_assigned")).all()
    ids = {str(r.id) for r in rows}
    per_notification = Counter(
        m["custom_args"]["notification_id"]
        for m in fake.accepted
        if m["custom_args"]["notification_id"] in ids
    )
    assert len(rows) == leads and len(per_notification) == leads
    assert all(r.status == "sent" for r in rows)
    # Any duplicate must be one the notify service counted as an ambiguous resend.
    ambiguous = sum(r.ambiguous_attempts for r in rows)
    assert sum(per_notification.values()) - leads <= ambiguous


def seed_coordinators() -> None:
    # Capacity for the whole run: these tests are about loss and duplicates, not about waiting.
    make_coordinator(
        name="Dana Reyes",
        email="dana@clinic.example",
        specialties=["ptsd"],
        programs=["veterans"],
        on_call=True,
        max_open_leads=200,
    )
    make_coordinator(
        name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"], max_open_leads=200
    )
    make_coordinator(name="Lee Park", email="lee@clinic.example", specialties=["ocd"], max_open_leads=200)


def test_hundred_inquiries_while_redis_is_down_all_reach_notified_once(client, tmp_path, own_redis):
    seed_coordinators()
    with FakeSendGrid() as fake, Pipeline(tmp_path, fault_env(own_redis.url, fake)) as pipeline:
        own_redis.stop()
        post_leads(client, LEADS)  # the API never waits on the broker
        assert notified_count() == 0
        own_redis.start()  # same port, empty: no persistence
        # The worker and beat reconnect on their own; the relay drains the outbox.
        wait_for(lambda: notified_count() == LEADS, 240, interval=0.5, what="all leads notified")
        logs = pipeline.read_logs()
    assert "outbox_publish_failed" in logs
    assert_one_email_per_lead(fake)


def test_worker_killed_mid_run_loses_nothing(client, tmp_path, own_redis):
    seed_coordinators()
    with FakeSendGrid() as fake, Pipeline(tmp_path, fault_env(own_redis.url, fake)) as pipeline:
        post_leads(client, LEADS)
        wait_for(
            lambda: notified_count() >= 10 and held_by_worker(own_redis) > 0,
            120,
            interval=0.05,
            what="the worker to hold messages mid-run",
        )
        pipeline.kill("worker")  # SIGKILL: the worker and its pool, mid-run
        held_at_kill = held_by_worker(own_redis)
        assert notified_count() < LEADS
        pipeline.start("worker")
        # Messages the dead worker held come back only after Redis's visibility timeout (an
        # hour); the sweeper must recover them from the database well before that.
        wait_for(lambda: notified_count() == LEADS, 240, interval=0.5, what="all leads notified")
        logs = pipeline.read_logs()
    if held_at_kill:
        # Those messages return only after the visibility timeout; the sweeper brought them back.
        assert "lead_redispatched" in logs
    assert_one_email_per_lead(fake)


def test_hung_redis_times_out_publishes_and_loses_nothing(client, tmp_path, own_redis):
    """Redis frozen with SIGSTOP: connections open but nothing answers (the apply_async hang)."""
    seed_coordinators()
    with FakeSendGrid() as fake, Pipeline(tmp_path, fault_env(own_redis.url, fake)) as pipeline:
        own_redis.pause()
        try:
            post_leads(client, 20)  # the API never waits on the broker
            wait_for(
                lambda: "outbox_publish_failed" in pipeline.read_logs(),
                60,
                interval=0.2,
                what="the relay's publish to time out",
            )
            assert notified_count() == 0
        finally:
            own_redis.resume()
        wait_for(lambda: notified_count() == 20, 240, interval=0.5, what="all leads notified")
    assert_one_email_per_lead(fake, 20)
