from __future__ import annotations

import pytest

from tests.support.fake_sendgrid import FakeSendGrid

from services.notify.adapters.email.sendgrid import SendGridBackend
from services.notify.domain.message import OutgoingEmail

FROM = "CareRoute <no-reply@careroute.local>"


@pytest.fixture
def fake_sendgrid():
    with FakeSendGrid() as fake:
        yield fake


@pytest.fixture
def sendgrid_backend(fake_sendgrid):
    return SendGridBackend(
        api_key=fake_sendgrid.api_key, host=fake_sendgrid.url, timeout=0.5, from_email=FROM
    )


def make_email(notification_id: str = "ntf-0001", **overrides) -> OutgoingEmail:
    fields = {
        "notification_id": notification_id,
        "to": "coordinator@clinic.example",
        "subject": "[CareRoute] CRISIS lead R-7K3M9Q — acknowledge now",
        "text": "Hello,\n\nReference: R-7K3M9Q\n",
        "html": "<p>Hello,</p><p>Reference: R-7K3M9Q</p>",
        "categories": ("careroute", "lead-assigned"),
        "custom_args": {"kind": "lead_assigned", "reference": "R-7K3M9Q"},
    }
    fields.update(overrides)
    return OutgoingEmail(**fields)


@pytest.fixture
def sendgrid(db, monkeypatch):
    """The sendgrid backend, configured by settings, pointed at a FakeSendGrid."""
    from shared.settings import reset_settings_cache

    from services.notify.adapters.email import reset_email_backend

    with FakeSendGrid() as fake:
        monkeypatch.setenv("CAREROUTE_EMAIL_BACKEND", "sendgrid")
        monkeypatch.setenv("CAREROUTE_SENDGRID_API_KEY", fake.api_key)
        monkeypatch.setenv("CAREROUTE_SENDGRID_HOST", fake.url)
        monkeypatch.setenv("CAREROUTE_SENDGRID_TIMEOUT_SECONDS", "1")
        reset_settings_cache()
        reset_email_backend()
        yield fake
    reset_settings_cache()
    reset_email_backend()


def run_task_until_done(task, *args, limit: int = 10) -> int:
    """Call a task directly, as a worker would run it again after each retry: the attempt count."""
    from celery.exceptions import Retry

    from shared.retry import RetryLater

    for attempt in range(1, limit + 1):
        try:
            task(*args)
            return attempt
        except (Retry, RetryLater):
            continue
    raise AssertionError("still retrying")


def outbox_events(event_type: str | None = None) -> list[dict]:
    """Payloads of events written to the transactional outbox (what routing will receive)."""
    from sqlmodel import col, select

    from shared.db import unit_of_work
    from shared.schema import OutboxEvent

    with unit_of_work() as session:
        query = select(OutboxEvent).order_by(col(OutboxEvent.id))
        if event_type:
            query = query.where(OutboxEvent.event_type == event_type)
        return [row.payload for row in session.exec(query).all()]


def hand_sent_notices_to_routing() -> None:
    """Run routing's consumer for every `notification.sent` in the outbox, as the relay and a
    worker would: that is how a sent notice moves its lead routed → notified."""
    from services.routing.tasks import record_notification_sent

    for payload in outbox_events("notification.sent"):
        record_notification_sent(payload)


def lead_status(lead_id) -> str:
    """The lead's status as routing holds it (`received` before routing touched it)."""
    from shared.db import unit_of_work
    from shared.schema import LeadState

    with unit_of_work() as session:
        state = session.get(LeadState, lead_id)
        return state.status if state else "received"


@pytest.fixture
def dana(db):
    from tests.factories import make_coordinator

    return make_coordinator(name="Dana Reyes", email="dana@clinic.example")
