"""The transactional outbox and its relay.

`add_event` writes an event row in the caller's transaction, so the change and the event commit
together or not at all. The relay publishes unpublished rows to the broker and marks them; it is
the only code that talks to the broker on behalf of a request, so a broker outage delays work but
never loses it. Several relays may run: PostgreSQL's `FOR UPDATE SKIP LOCKED` hands each row to one.
On PostgreSQL the relay sleeps on LISTEN and wakes on the commit's NOTIFY; on SQLite it polls.
"""

from __future__ import annotations

import select as select_module
import threading
import time
from collections.abc import Callable

from sqlalchemy import case, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import Event
from shared.logging import get_logger
from shared.schema import Heartbeat, OutboxEvent
from shared.settings import get_settings
from shared.tasks import CRISIS_QUEUE

log = get_logger(__name__)
NOTIFY_CHANNEL = "careroute_outbox"
BATCH_SIZE = 100
GATHER_SECONDS = 0.01

Publisher = Callable[[OutboxEvent], None]


def add_event(session: Session, event: Event) -> OutboxEvent:
    row = OutboxEvent(
        event_id=event.event_id,
        event_type=event.type,  # type: ignore[attr-defined]
        task_name=event.task_name,
        queue=event.queue(),
        payload=event.model_dump(mode="json"),
    )
    session.add(row)
    if session.get_bind().dialect.name == "postgresql":
        # Delivered to listeners only when (and if) this transaction commits.
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return row


class CeleryPublisher:
    """Publishes outbox rows with a bounded wait.

    kombu retries a lost broker connection forever by default, which would freeze the relay (and
    its heartbeat) for as long as Redis is down; here one failed connect raises at once and the
    row simply waits for the next pass.
    """

    def __init__(self) -> None:
        from shared.celery import get_celery

        self.app = get_celery()
        self.connection = None

    def _connect(self):
        options = {
            **self.app.conf.broker_transport_options,
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        }
        return self.app.connection_for_write(transport_options=options)

    def __call__(self, row: OutboxEvent) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            # retry=False: fail fast and leave the row for the next pass instead of hanging here.
            self.app.send_task(
                row.task_name, args=[row.payload], queue=row.queue, retry=False, connection=self.connection
            )
        except Exception:
            self.connection.close()
            self.connection = None
            raise


def celery_publisher() -> Publisher:
    return CeleryPublisher()


def publish_pending(
    publish: Publisher, limit: int = BATCH_SIZE, crisis_only: bool = False
) -> tuple[int, bool]:
    """Publish one batch of unpublished events: (how many were published, whether one failed).
    `crisis_only`: the crisis relay's share, crisis-lane events alone."""
    published, failed = 0, False
    with unit_of_work() as session:
        query = (
            select(OutboxEvent)
            .where(col(OutboxEvent.published_at).is_(None))
            # Crisis events first: under a burst the relay has a backlog too, and a crisis lead's
            # events must not wait behind it any more than its tasks wait behind routine ones.
            .order_by(case((col(OutboxEvent.queue) == CRISIS_QUEUE, 0), else_=1), col(OutboxEvent.id))
            .limit(limit)
        )
        if crisis_only:
            query = query.where(col(OutboxEvent.queue) == CRISIS_QUEUE)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        done: list[int] = []
        now = utcnow()
        for row in session.exec(query).all():
            try:
                publish(row)
            except Exception as exc:  # broker down or hung: keep the row, try again later
                row.publish_attempts += 1
                row.last_error = type(exc).__name__[:200]
                log.warning("outbox_publish_failed", event_id=str(row.event_id), error=row.last_error)
                failed = True
                break
            done.append(row.id)
        if done:
            # One UPDATE for the batch, not one per row (the relay runs for every event of every lead).
            session.execute(
                update(OutboxEvent).where(col(OutboxEvent.id).in_(done)).values(published_at=now),
                execution_options={"synchronize_session": False},
            )
            published = len(done)
    return published, failed


def beat(name: str) -> None:
    with unit_of_work() as session:
        row = session.get(Heartbeat, name) or Heartbeat(name=name)
        row.beat_at = utcnow()
        session.add(row)


class _PostgresWaker:
    """Blocks until a NOTIFY arrives on the outbox channel, or the timeout passes."""

    def __init__(self, database_url: str) -> None:
        import psycopg

        conninfo = make_url(database_url).set(drivername="postgresql")
        self.conn = psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True)
        self.conn.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(self, timeout: float) -> None:
        ready, _, _ = select_module.select([self.conn.fileno()], [], [], timeout)
        if ready:
            # Let the commits of a burst land together: one batch then carries them all, instead
            # of one transaction and one wake-up per event (10 ms, invisible next to the rest).
            time.sleep(GATHER_SECONDS)
            # Drain every queued notification: one batch serves them all.
            for _ in self.conn.notifies(timeout=0):
                pass

    def close(self) -> None:
        self.conn.close()


class _PollingWaker:
    def __init__(self, interval: float) -> None:
        self.interval = interval

    def wait(self, timeout: float) -> None:
        time.sleep(min(timeout, self.interval))

    def close(self) -> None:
        pass


def run_relay(
    stop: threading.Event | None = None,
    publish: Publisher | None = None,
    heartbeat_every: float = 10.0,
    crisis_only: bool = False,
) -> None:
    """Publish outbox rows until `stop` is set. Survives broker and database outages.
    `crisis_only`: a relay of the crisis lane's own (`careroute relay --lane crisis`), so a crisis
    lead's events never wait behind a backlog of routine ones in the relay either."""
    settings = get_settings()
    stop = stop or threading.Event()
    publish = publish or celery_publisher()
    waker = None
    backoff = settings.relay_poll_seconds
    last_beat = 0.0
    log.info("relay_started", crisis_only=crisis_only)
    while not stop.is_set():
        try:
            if waker is None:
                waker = (
                    _PollingWaker(settings.relay_poll_seconds)
                    if settings.is_sqlite
                    else _PostgresWaker(settings.database_url)
                )
            if time.monotonic() - last_beat > heartbeat_every:
                beat("relay-crisis" if crisis_only else "relay")
                last_beat = time.monotonic()
            count, failed = publish_pending(publish, crisis_only=crisis_only)
            if failed:
                # Broker away: back off (ignoring commit wake-ups) up to 2 s between tries.
                stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = settings.relay_poll_seconds
            if count < BATCH_SIZE:
                # Sleep until a commit wakes us; the 1 s cap is the net for a NOTIFY that never came.
                waker.wait(1.0)
        except Exception as exc:  # database away: reconnect after a pause
            log.warning("relay_error", error=type(exc).__name__)
            if waker is not None:
                waker.close()
                waker = None
            stop.wait(1.0)
    if waker is not None:
        waker.close()
    log.info("relay_stopped")
