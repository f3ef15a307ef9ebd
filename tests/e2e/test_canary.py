"""The canary, for real: beat sends a synthetic lead through relay, worker lanes and the real sendgrid
client every few seconds; it reaches the canary sink (a local SendGrid stand-in), never a person, and
no queue or figure shows it. Kill the relay and /healthz/deep turns red within the deadline; start
it again and the backlog of canaries goes through and health recovers."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select

from shared.db import unit_of_work
from shared.enums import LeadStatus
from shared.readmodel.queue import QueueQuery, load_queue
from shared.schema import Assignment, Lead, LeadState, Notification, SlaDeadline
from shared.settings import reset_settings_cache
from tests.factories import make_coordinator
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.pipeline import Pipeline
from tests.support.servers import wait_for

pytestmark = pytest.mark.e2e

SINK = "canary-sink@careroute.invalid"
INTERVAL, DEADLINE = 5, 20


def canary_env(fake: FakeSendGrid) -> dict[str, str]:
    return {
        "CAREROUTE_EMAIL_BACKEND": "sendgrid",
        "CAREROUTE_SENDGRID_API_KEY": fake.api_key,
        "CAREROUTE_SENDGRID_HOST": fake.url,
        "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
        "CAREROUTE_CANARY_ENABLED": "true",
        "CAREROUTE_CANARY_INTERVAL_SECONDS": str(INTERVAL),
        "CAREROUTE_CANARY_DEADLINE_SECONDS": str(DEADLINE),
        "CAREROUTE_CANARY_EMAIL": SINK,
    }


def canaries() -> list[tuple[Lead, LeadState | None]]:
    with unit_of_work() as session:
        return session.exec(
            select(Lead, LeadState)
            .join(LeadState, col(LeadState.lead_id) == col(Lead.id), isouter=True)
            .where(col(Lead.canary).is_(True))
            .order_by(col(Lead.created_at))
        ).all()


def delivered() -> int:
    return sum(1 for _, state in canaries() if state and state.outcome_reason == "canary_delivered")


def canary_ok(client) -> float | None:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "careroute_canary_ok":
                return sample.value
    return None


def canary_problems(client) -> list[str]:
    return [p for p in client.get("/healthz/deep").json()["problems"] if p.startswith("canary")]


def test_the_canary_reaches_the_sink_never_a_person_and_its_failure_turns_deep_health_red(
    client, tmp_path, monkeypatch
):
    person = make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=[], on_call=True)
    with FakeSendGrid() as fake:
        env = canary_env(fake)
        for key, value in env.items():  # this process answers /healthz/deep and /metrics
            monkeypatch.setenv(key, value)
        reset_settings_cache()
        with Pipeline(tmp_path, env) as pipeline:
            wait_for(lambda: delivered() >= 1, 120, interval=0.5, what="a canary delivered")
            first_delivered = time.monotonic()
            # Once a delivered canary is older than the deadline, the check has judged one: green
            # (waited for, not sampled once: on a busy machine a younger canary may still be on its way).
            wait_for(lambda: time.monotonic() - first_delivered > DEADLINE + 1, DEADLINE + 5, interval=1)
            wait_for(
                lambda: canary_problems(client) == [] and canary_ok(client) == 1, 60, interval=1, what="green"
            )

            pipeline.kill("relay")  # canaries are still created (lead + outbox) but go nowhere
            killed = time.monotonic()
            wait_for(
                lambda: "canary_not_delivered" in canary_problems(client),
                DEADLINE + 60,
                interval=1,
                what="deep health to report the canary",
            )
            red_after = time.monotonic() - killed
            assert client.get("/healthz/deep").status_code == 503
            assert canary_ok(client) == 0

            pipeline.start("relay")
            wait_for(lambda: canary_problems(client) == [], 90, interval=1, what="recovery")
            recovered_after = time.monotonic() - killed - red_after
        print(
            f"\ncanary: red {red_after:.0f}s after the relay died (deadline {DEADLINE}s); green again "
            f"{recovered_after:.0f}s after it returned; {delivered()} canaries delivered"
        )

    accepted = fake.accepted
    assert accepted and {m["personalizations"][0]["to"][0]["email"] for m in accepted} == {SINK}
    rows = canaries()
    with unit_of_work() as session:
        ids = [lead.id for lead, _ in rows]
        assignments = session.exec(select(Assignment).where(col(Assignment.lead_id).in_(ids))).all()
        assert assignments and person.id not in {a.coordinator_id for a in assignments}
        assert not session.exec(select(SlaDeadline).where(col(SlaDeadline.lead_id).in_(ids))).all()
        to_person = session.exec(select(Notification).where(Notification.recipient == person.email)).all()
        assert to_person == []
        every_status = tuple(s.value for s in LeadStatus)
        assert load_queue(session, QueueQuery(statuses=every_status)) == []
    reset_settings_cache()
    metrics = client.get("/metrics").text
    assert "careroute_leads_received_total{" not in metrics  # only canaries were taken in
