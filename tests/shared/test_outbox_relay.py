"""The outbox relay: several relays never publish a row twice; a relay wakes on commit."""

from __future__ import annotations

import threading
import time
from collections import Counter
from uuid import uuid4

from sqlmodel import func, select

from shared.db import unit_of_work
from shared.events import LeadReceivedV1
from shared.outbox import add_event, publish_pending, run_relay
from shared.schema import OutboxEvent
from tests.support.servers import wait_for


def write_events(count: int) -> None:
    with unit_of_work() as session:
        for _ in range(count):
            add_event(session, LeadReceivedV1(lead_id=uuid4(), channel="web"))


def unpublished() -> int:
    with unit_of_work() as session:
        return session.exec(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
        ).one()


def test_three_concurrent_relays_publish_each_row_exactly_once(db):
    write_events(300)
    published: Counter = Counter()
    lock = threading.Lock()

    def publish(row: OutboxEvent) -> None:
        time.sleep(0.001)  # hold the row lock a moment, as a real publish does
        with lock:
            published[row.event_id] += 1

    def relay() -> None:
        while True:
            count, _failed = publish_pending(publish, limit=20)
            if count == 0:
                return

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(published) == 300 and set(published.values()) == {1}
    assert unpublished() == 0


def test_a_failed_publish_leaves_the_row_for_the_next_pass(db):
    write_events(2)

    def broker_down(row: OutboxEvent) -> None:
        raise ConnectionError("broker away")

    assert publish_pending(broker_down) == (0, True)
    with unit_of_work() as session:
        rows = session.exec(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert rows[0].publish_attempts == 1 and rows[0].last_error == "ConnectionError"
    assert unpublished() == 2
    assert publish_pending(lambda row: None) == (2, False)


def test_running_relay_publishes_rows_committed_after_it_started(db):
    seen: list = []
    stop = threading.Event()
    relay = threading.Thread(
        target=run_relay, kwargs={"stop": stop, "publish": lambda row: seen.append(row.event_id)}
    )
    relay.start()
    try:
        write_events(1)  # the commit's NOTIFY wakes the relay
        wait_for(lambda: len(seen) == 1, 10, what="the relay to publish")
    finally:
        stop.set()
        relay.join(10)
    assert unpublished() == 0


def test_the_relay_publishes_crisis_events_before_an_older_backlog(db):
    with unit_of_work() as session:
        for _ in range(5):
            add_event(session, LeadReceivedV1(lead_id=uuid4(), channel="web"))
        crisis = LeadReceivedV1(lead_id=uuid4(), channel="web", risk_flag=True)
        add_event(session, crisis)
    order: list[str] = []
    published, failed = publish_pending(lambda row: order.append(row.queue), limit=3)
    assert (published, failed) == (3, False)
    assert order == ["crisis", "classify", "classify"]


def test_the_crisis_relay_publishes_only_crisis_events(db):
    with unit_of_work() as session:
        for _ in range(3):
            add_event(session, LeadReceivedV1(lead_id=uuid4(), channel="web"))
        add_event(session, LeadReceivedV1(lead_id=uuid4(), channel="web", risk_flag=True))
    order: list[str] = []
    assert publish_pending(lambda row: order.append(row.queue), crisis_only=True) == (1, False)
    assert publish_pending(lambda row: order.append(row.queue), crisis_only=True) == (0, False)
    assert order == ["crisis"]
