"""Redis restarted with and without persistence while every message is queued, and the email and
SMS providers misbehaving in every documented way while leads flow through real processes.

Each asserts the outcome every fault test asserts (tests/support/faults.py) and measures what
docs/reliability.md quotes: how long crisis leads took to recover, how many duplicates were seen.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import redis
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import LeadState, Notification
from tests.support.fake_sendgrid import (
    AcceptThenDrop,
    ClientError,
    FakeSendGrid,
    Hang,
    HtmlTooLarge,
    RateLimited,
    ServerError,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.fake_twilio import RateLimited as SmsRateLimited
from tests.support.faults import (
    TOLD,
    assert_outcome,
    crisis_sent_at,
    fault_env,
    page_key,
    post_leads,
    seed_coordinators,
    told_count,
)
from tests.support.figures import record
from tests.support.pipeline import Pipeline
from tests.support.servers import RedisServer, wait_for

pytestmark = pytest.mark.faults


def queued_messages(server: RedisServer) -> int:
    prefix = os.environ.get("CAREROUTE_BROKER_KEY_PREFIX", "")
    client = redis.Redis.from_url(server.url)
    return sum(
        client.llen(key) for key in client.scan_iter(match=f"{prefix}*") if client.type(key) == b"list"
    )


@pytest.mark.parametrize("persistence", [False, True], ids=["no-persistence", "aof"])
def test_redis_restarted_with_every_message_queued_loses_no_lead(client, tmp_path, persistence):
    """No worker runs while the relay publishes, so every lead's first task sits in Redis when
    Redis is killed and restarted. Without persistence the queues are gone and the sweeper must
    re-dispatch from the database (crisis first); with AOF the messages survive."""
    server = RedisServer(persistence=persistence).start()
    leads = 20
    try:
        with FakeSendGrid() as sendgrid, FakeTwilio() as twilio:
            seed_coordinators()
            env = fault_env(server.url, sendgrid, twilio)
            with Pipeline(tmp_path, env, names=("relay", "beat")) as pipeline:
                post_leads(client, leads, crisis_every=4)
                wait_for(lambda: queued_messages(server) >= leads, 60, interval=0.1, what="every lead queued")
                server.stop()  # SIGKILL: a crash
                server.start()
                survived = queued_messages(server)
                pipeline.start("worker")
                ready = utcnow()
                started = time.monotonic()
                wait_for(lambda: told_count() == leads, 180, interval=0.2, what="every lead told")
                all_told = time.monotonic() - started
                logs = pipeline.read_logs()
            crisis = [(at - ready).total_seconds() for at in crisis_sent_at()]
            figures = assert_outcome(sendgrid, leads, twilio)
    finally:
        server.close()
    if persistence:
        assert survived >= leads
    else:
        assert survived < leads and "lead_redispatched" in logs
    record(
        f"Redis restarted ({'AOF' if persistence else 'no persistence'})",
        messages_survived=survived,
        crisis_recovered_max_s=round(max(crisis), 1),
        all_told_s=round(all_told, 1),
        stuck_crisis_after_s=env["CAREROUTE_STUCK_CRISIS_SECONDS"],
        **figures,
    )


def test_providers_misbehaving_every_way_every_lead_still_reaches_a_person(client, tmp_path):
    """SendGrid: 429, 503, 500, a hang after accepting, accept-then-drop, an HTML 413 and a 400;
    Twilio: 429, 503, accept-then-drop. Every lead reaches a person; no notice is sent more than
    twice; the refused emails fail once each and move the ladder on; it all shows in /metrics."""
    server = RedisServer().start()
    leads = 16
    try:
        with FakeSendGrid() as sendgrid, FakeTwilio() as twilio:
            sendgrid.enqueue(
                RateLimited(reset_in=1),
                ServerError(503),
                Hang(seconds=4, accept=True),
                AcceptThenDrop(),
                ServerError(500),
                HtmlTooLarge(),
                ClientError(400),
            )
            twilio.enqueue(SmsRateLimited(), ServerError(503), AcceptThenDrop())
            seed_coordinators()
            _everyone_backed_up_by_dana()
            with Pipeline(tmp_path, fault_env(server.url, sendgrid, twilio)) as pipeline:
                post_leads(client, leads, crisis_every=4)
                wait_for(lambda: _reached() == leads, 240, interval=0.3, what="every lead reached a person")
                wait_for(lambda: _unsettled() == 0, 120, interval=0.3, what="every notice settled")
                logs = pipeline.read_logs()
            metrics = client.get("/metrics").text
            with unit_of_work() as session:
                notices = session.exec(select(Notification)).all()
                states = session.exec(select(LeadState)).all()
            copies = Counter(m["custom_args"]["notification_id"] for m in sendgrid.accepted)
            requests, sendgrid_accepted = sendgrid.requests, sendgrid.accepted
            sms_copies = Counter(page_key(m) for m in twilio.accepted)
    finally:
        server.close()
    # Told, or (its only email refused) escalated to the next person, who was told.
    escalated = {n.lead_id for n in notices if n.kind == "escalation" and n.status in ("sent", "delivered")}
    assert len(states) == leads and all(s.status in TOLD or s.lead_id in escalated for s in states)
    assert max(copies.values()) <= 2 and max(sms_copies.values()) <= 2
    failed = [n for n in notices if n.status == "failed"]
    assert sorted(n.last_error for n in failed) == ["bad_request", "payload_too_large"]
    # No retry storm: every request was one of the queued failures or a send that was taken.
    assert requests == len(sendgrid_accepted) + 5
    assert all(n.failure_reported_at is not None for n in failed if n.kind == "lead_assigned")
    told_elsewhere = {
        n.lead_id for n in notices if n.kind != "lead_assigned" and n.status in ("sent", "delivered")
    }
    assert {n.lead_id for n in failed if n.kind == "lead_assigned"} <= told_elsewhere
    assert "notification_retry" in logs and "notification_failed" in logs and "page_retry" in logs
    ambiguous = _metric(metrics, "careroute_notify_ambiguous_attempts")
    assert ambiguous >= 1 and _metric(metrics, "careroute_notify_failures_reported") >= 1
    record(
        "SendGrid and Twilio misbehaving",
        leads=leads,
        emails_accepted=len(sendgrid_accepted),
        email_duplicates=sum(copies.values()) - len(copies),
        sms_duplicates=sum(sms_copies.values()) - len(sms_copies),
        ambiguous_counted=int(ambiguous),
        failed_for_good=len(failed),
    )


def _everyone_backed_up_by_dana() -> None:
    """A refused email moves the lead up its ladder: give the ladder a next person."""
    from shared.schema import Coordinator

    with unit_of_work() as session:
        people = session.exec(select(Coordinator)).all()
        dana = next(p for p in people if p.email == "dana@clinic.example")
        sam = next(p for p in people if p.email == "sam@clinic.example")
        for person in people:
            person.backup_id = sam.id if person.id == dana.id else dana.id
            session.add(person)


def _reached() -> int:
    """Leads with a ladder notice (new lead, escalation) accepted by the provider."""
    with unit_of_work() as session:
        rows = session.exec(
            select(Notification.lead_id)
            .where(Notification.kind.in_(("lead_assigned", "escalation")), Notification.channel == "email")
            .where(Notification.status.in_(("sent", "delivered")))
        ).all()
    return len(set(rows))


def _unsettled() -> int:
    with unit_of_work() as session:
        return len(
            session.exec(select(Notification).where(Notification.status.in_(("pending", "sending")))).all()
        )


def _metric(text: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#") and not line.startswith(name + "_created")
    )
