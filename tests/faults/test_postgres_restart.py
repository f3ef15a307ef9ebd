"""PostgreSQL stopped (immediate shutdown, like a crash) under intake and under running workers,
then started again: a throwaway cluster this test creates with initdb/pg_ctl, never the
machine's. Intake answers 503 with Retry-After and crisis resources within its 3 s bounds while
the database is down; the workers' tasks retry; every accepted lead is told once."""

from __future__ import annotations

import json
import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.factories import web_form
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.fake_twilio import FakeTwilio
from tests.support.faults import assert_outcome, fault_env, post_leads, seed_coordinators, told_count
from tests.support.figures import record
from tests.support.pipeline import Pipeline
from tests.support.servers import RedisServer, ThrowawayPostgres, wait_for

pytestmark = pytest.mark.faults


@pytest.fixture
def own_postgres(monkeypatch):
    from shared.db import dispose_engines
    from shared.migrate import upgrade
    from shared.settings import reset_settings_cache

    server = ThrowawayPostgres()
    admin = server.start()
    with psycopg.connect(admin.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE careroute")
    url = admin.rsplit("/", 1)[0] + "/careroute"
    monkeypatch.setenv("CAREROUTE_DATABASE_URL", url)
    reset_settings_cache()
    dispose_engines()
    upgrade()
    try:
        yield server, url
    finally:
        dispose_engines()
        monkeypatch.undo()
        reset_settings_cache()
        server.close()


def test_postgres_crash_under_intake_and_workers_loses_no_lead(tmp_path, own_postgres):
    from careroute.asgi import build_app

    server, url = own_postgres
    redis_server = RedisServer().start()
    leads = 20
    try:
        seed_coordinators()
        with FakeSendGrid() as sendgrid, FakeTwilio() as twilio, TestClient(build_app()) as client:
            env = {**fault_env(redis_server.url, sendgrid, twilio), "CAREROUTE_DATABASE_URL": url}
            with Pipeline(tmp_path, env) as pipeline:
                post_leads(client, leads, crisis_every=5)
                wait_for(lambda: told_count() >= 2, 120, interval=0.05, what="work under way")
                server.stop()
                stopped = time.monotonic()
                started = time.monotonic()
                down = client.post(
                    "/v1/inquiries/web",
                    content=json.dumps(
                        web_form(name="Down Person", message="I took a lot of pills and want to die")
                    ),
                    headers={"content-type": "application/json"},
                )
                answered_in = time.monotonic() - started
                time.sleep(3)  # the workers' tasks meet the outage
                server.restart()
                outage = time.monotonic() - stopped
                wait_for(lambda: _told(leads), 240, interval=0.5, what="every lead told")
                logs = pipeline.read_logs()
            figures = assert_outcome(sendgrid, leads, twilio)
    finally:
        redis_server.close()
    assert down.status_code == 503 and down.headers["Retry-After"] and "988" in down.text
    assert answered_in < 6  # 3 s connect timeout, with room for a busy machine
    assert "OperationalError" in logs or "Retry in" in logs
    record(
        "PostgreSQL crash under intake and workers",
        intake_503_in_s=round(answered_in, 1),
        outage_s=round(outage, 1),
        **figures,
    )


def _told(leads: int) -> bool:
    try:
        return told_count() == leads
    except Exception:  # the database is still recovering
        return False
