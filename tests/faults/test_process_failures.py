"""Processes dying under load, for real: a pool child and the relay SIGKILLed, a worker's warm
shutdown (a deploy), the scheduler killed, and every task delivered several times at once.

Each test asserts the outcome every fault test asserts (tests/support/faults.py): every accepted
lead told, one assignment each, one email per notice but the counted ambiguous resends (at most
two), one SMS per crisis page; and that the failure shows in the logs or /healthz/deep. Figures go
to the end-of-run summary and docs/reliability.md.
"""

from __future__ import annotations

import re
import time

import psutil
import psycopg
import pytest
from celery import Celery
from sqlalchemy import text
from sqlmodel import select

from shared.db import get_engine, unit_of_work
from shared.schema import OutboxEvent
from shared.settings import get_settings
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.fake_twilio import FakeTwilio
from tests.support.faults import assert_outcome, fault_env, post_leads, seed_coordinators, told_count
from tests.support.figures import record
from tests.support.pipeline import Pipeline
from tests.support.servers import RedisServer, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def own_redis():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def stand_ins():
    with FakeSendGrid() as sendgrid, FakeTwilio() as twilio:
        yield sendgrid, twilio


def test_pool_child_killed_mid_task_is_requeued_at_once_and_acts_once(client, tmp_path, own_redis, stand_ins):
    sendgrid, twilio = stand_ins
    seed_coordinators()
    leads = 30
    with Pipeline(tmp_path, fault_env(own_redis.url, sendgrid, twilio)) as pipeline:
        post_leads(client, leads, crisis_every=5)
        wait_for(lambda: told_count() >= 2, 120, interval=0.05, what="work under way")
        children = psutil.Process(pipeline.procs["worker"].pid).children()
        children[0].kill()  # SIGKILL one prefork child, mid-task: the parent stays up
        killed_at = time.monotonic()
        wait_for(lambda: told_count() == leads, 180, interval=0.2, what="every lead told")
        recovered = time.monotonic() - killed_at
        # The parent reports the lost child when it reaps it, which may come after the requeue.
        wait_for(
            lambda: re.search(r"signal 9|WorkerLostError", pipeline.read_logs()),
            30,
            interval=0.2,
            what="the lost child in the worker's log",
        )
    figures = assert_outcome(sendgrid, leads, twilio)
    record("pool child SIGKILL", all_told_after_kill_s=round(recovered, 1), **figures)


def test_warm_shutdown_mid_run_finishes_or_requeues_and_loses_nothing(client, tmp_path, own_redis, stand_ins):
    sendgrid, twilio = stand_ins
    seed_coordinators()
    leads = 30
    with Pipeline(tmp_path, fault_env(own_redis.url, sendgrid, twilio)) as pipeline:
        post_leads(client, leads, crisis_every=5)
        wait_for(lambda: told_count() >= 2, 120, interval=0.05, what="work under way")
        took = pipeline.warm_stop("worker")  # SIGTERM: a deploy
        told_at_stop = told_count()
        pipeline.start("worker")
        wait_for(lambda: told_count() == leads, 180, interval=0.2, what="every lead told")
        logs = pipeline.read_logs()
    assert "Warm shutdown" in logs
    figures = assert_outcome(sendgrid, leads, twilio)
    record("warm shutdown", shutdown_s=round(took, 1), told_before_restart=told_at_stop, **figures)


def test_relay_killed_between_publish_and_mark_republishes_and_effects_happen_once(
    client, tmp_path, own_redis, stand_ins
):
    """The relay publishes a batch, then marks it in one commit. Holding a SHARE lock on the
    outbox table stops it exactly there (its UPDATE waits); then it is SIGKILLed: every row of
    the batch was published and none marked, so the next relay publishes them all again."""
    sendgrid, twilio = stand_ins
    seed_coordinators()
    leads = 20
    admin_url = get_settings().database_url.replace("postgresql+psycopg", "postgresql")
    with Pipeline(tmp_path, fault_env(own_redis.url, sendgrid, twilio), names=("worker", "beat")) as pipeline:
        post_leads(client, leads, crisis_every=5)
        with psycopg.connect(admin_url) as lock:
            lock.execute("LOCK TABLE outbox_event IN SHARE MODE")
            pipeline.start("relay")
            wait_for(
                lambda: _relay_waits_to_mark(admin_url), 60, interval=0.05, what="relay stuck before marking"
            )
            pipeline.kill("relay")
            lock.rollback()
        assert _unpublished() >= leads  # published to Redis, never marked
        pipeline.start("relay")
        wait_for(lambda: told_count() == leads, 180, interval=0.2, what="every lead told")
        logs = pipeline.read_logs()
    classify_runs = logs.count("routing.classify_lead[")
    assert "outbox_published" in logs or classify_runs >= leads
    figures = assert_outcome(sendgrid, leads, twilio)
    record(
        "relay SIGKILL between publish and mark",
        republished=leads,
        classify_task_log_lines=classify_runs,
        **figures,
    )


def _relay_waits_to_mark(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE 'UPDATE outbox_event%'"
        ).fetchone()
    return row[0] > 0


def _unpublished() -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")).scalar()


def test_every_task_delivered_four_times_at_once_acts_once(client, tmp_path, own_redis, stand_ins):
    """Duplicate and concurrent delivery: each event's task is published three extra times while
    the first is still queued, and all of them again after the pipeline settled."""
    sendgrid, twilio = stand_ins
    seed_coordinators()
    leads = 10
    env = fault_env(own_redis.url, sendgrid, twilio)
    broker = Celery(broker=own_redis.url)
    broker.conf.broker_transport_options = {"global_keyprefix": get_settings().broker_key_prefix}
    with Pipeline(tmp_path, env, names=("worker", "beat")) as pipeline:
        post_leads(client, leads, crisis_every=3)
        _publish_copies(broker, 3)  # before the relay: the copies race the original
        pipeline.start("relay")
        wait_for(lambda: told_count() == leads, 180, interval=0.2, what="every lead told")
        sent_before = len(sendgrid.accepted), len(twilio.accepted)
        done_before = _succeeded(pipeline)
        copies = _publish_copies(broker, 3)  # every event of the whole run, three times more
        wait_for(
            lambda: _succeeded(pipeline) >= done_before + copies, 120, interval=0.5, what="copies consumed"
        )
        logs = pipeline.read_logs()
    assert (len(sendgrid.accepted), len(twilio.accepted)) == sent_before
    # Every copy ran to completion in the worker (visible in its log), and changed nothing.
    assert logs.count(" succeeded in ") >= done_before + copies
    figures = assert_outcome(sendgrid, leads, twilio)
    record("duplicate and concurrent delivery", extra_deliveries=copies, **figures)


def _publish_copies(broker: Celery, times: int) -> int:
    with unit_of_work() as session:
        rows = session.exec(select(OutboxEvent)).all()
    with broker.connection_for_write() as conn:
        for row in rows:
            for _ in range(times):
                broker.send_task(row.task_name, args=[row.payload], queue=row.queue, connection=conn)
    return len(rows) * times


def _succeeded(pipeline: Pipeline) -> int:
    return pipeline.read_logs().count(" succeeded in ")


@pytest.fixture
def api_fast_clocks(monkeypatch):
    """The API judges staleness by the intervals the scheduler runs at: give it the fast ones."""
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("CAREROUTE_SWEEP_INTERVAL_SECONDS", "1")
    monkeypatch.setenv("CAREROUTE_NOTIFY_RECONCILE_INTERVAL_SECONDS", "2")
    reset_settings_cache()
    yield
    monkeypatch.undo()
    reset_settings_cache()


def test_scheduler_killed_turns_deep_health_red_and_restarting_it_recovers(
    client, tmp_path, own_redis, stand_ins, api_fast_clocks
):
    sendgrid, twilio = stand_ins
    seed_coordinators()
    env = fault_env(own_redis.url, sendgrid, twilio, CAREROUTE_NOTIFY_RECONCILE_INTERVAL_SECONDS="2")
    with Pipeline(tmp_path, env) as pipeline:
        wait_for(lambda: client.get("/healthz/deep").status_code == 200, 90, interval=0.5, what="healthy")
        pipeline.kill("beat")
        killed_at = time.monotonic()
        wait_for(
            lambda: client.get("/healthz/deep").status_code == 503, 60, interval=0.2, what="deep health red"
        )
        detected = time.monotonic() - killed_at
        problems = client.get("/healthz/deep").json()["problems"]
        # Leads still flow without the scheduler: the relay and the workers need no timer.
        post_leads(client, 5, crisis_every=5)
        wait_for(lambda: told_count() == 5, 120, interval=0.2, what="leads told without the scheduler")
        pipeline.start("beat")
        wait_for(
            lambda: client.get("/healthz/deep").status_code == 200, 60, interval=0.5, what="healthy again"
        )
        recovered = time.monotonic() - killed_at - detected
    assert "sweeper_heartbeat_stale" in problems
    figures = assert_outcome(sendgrid, 5, twilio)
    record(
        "scheduler SIGKILL",
        deep_health_red_after_s=round(detected, 1),
        green_again_after_restart_s=round(recovered, 1),
        **figures,
    )
