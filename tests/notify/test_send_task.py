"""notify.send_notification against the real database and the real sendgrid client."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import LeadRoutedV1
from shared.schema import Assignment, Lead, LeadContact, LeadState, Notification
from tests.factories import make_coordinator
from tests.notify.conftest import hand_sent_notices_to_routing, lead_status, run_task_until_done
from tests.support.fake_sendgrid import AcceptThenDrop, ClientError, RateLimited, ServerError

CANARY = {
    "name": "Zebulon Canaryfield",
    "phone": "+19495550199",
    "email": "zebulon.canary@example.com",
    "message": "Zebulon has bipolar depression and thoughts of suicide; asking about ketamine",
    "date_of_birth": "1971-03-09",
}


@pytest.fixture
def routed_event(db) -> dict:
    coordinator = make_coordinator(name="Dana Reyes", email="dana@clinic.example")
    with unit_of_work() as session:
        lead = Lead(reference="R-7K3M9QX", channel="web")
        session.add(lead)
        session.flush()
        session.add(LeadState(lead_id=lead.id, status="routed", urgency="crisis"))
        session.add(LeadContact(lead_id=lead.id, **CANARY))
        assignment = Assignment(lead_id=lead.id, coordinator_id=coordinator.id, step=0, reason="test")
        session.add(assignment)
    event = LeadRoutedV1(
        lead_id=lead.id,
        assignment_id=assignment.id,
        coordinator_id=coordinator.id,
        urgency="crisis",
        acknowledge_by=utcnow() + timedelta(minutes=5),
    )
    return event.model_dump(mode="json")


def notification() -> Notification:
    with unit_of_work() as session:
        return session.exec(select(Notification)).one()


def run_until_done(payload, limit=10) -> int:
    from services.notify.tasks import send_notification

    return run_task_until_done(send_notification, payload, limit=limit)


def test_one_email_with_no_phi_and_lead_notified(sendgrid, routed_event):
    run_until_done(routed_event)
    [mail] = sendgrid.accepted
    sent = json.dumps(mail).lower()
    for value in CANARY.values():
        assert value.lower() not in sent
    for word in ("suicid", "ketamine", "bipolar", "depression", "zebulon"):
        assert word not in sent
    assert "r-7k3m9qx" in sent and "/console/leads/r-7k3m9qx?t=" in sent
    row = notification()
    assert row.status == "sent" and row.attempts == 1 and row.provider_message_id
    assert mail["personalizations"][0]["to"][0]["email"] == "dana@clinic.example"
    assert mail["personalizations"][0].get("custom_args", mail.get("custom_args", {}))[
        "notification_id"
    ] == str(row.id)
    hand_sent_notices_to_routing()
    assert lead_status(routed_event["lead_id"]) == "notified"


def test_the_same_event_twice_sends_one_email(sendgrid, routed_event):
    run_until_done(routed_event)
    run_until_done(routed_event)
    assert len(sendgrid.accepted) == 1 and sendgrid.requests == 1


def test_rate_limit_and_server_errors_are_retried_then_sent_once(sendgrid, routed_event):
    sendgrid.enqueue(RateLimited(reset_in=1), ServerError(503))
    assert run_until_done(routed_event) == 3
    assert len(sendgrid.accepted) == 1
    row = notification()
    assert row.status == "sent" and row.attempts == 3 and row.ambiguous_attempts == 0


def test_accepted_but_response_lost_is_retried_and_counted_ambiguous(sendgrid, routed_event):
    sendgrid.enqueue(AcceptThenDrop())
    run_until_done(routed_event)
    row = notification()
    assert row.status == "sent" and row.ambiguous_attempts == 1
    assert len(sendgrid.accepted) == 2  # the documented, counted duplicate: never a missing email


def test_client_error_fails_without_a_retry_storm(sendgrid, routed_event):
    sendgrid.enqueue(ClientError(400))
    run_until_done(routed_event)
    row = notification()
    assert row.status == "failed" and row.attempts == 1 and sendgrid.requests == 1
    hand_sent_notices_to_routing()
    assert lead_status(routed_event["lead_id"]) == "routed"  # still in sight of the sweeper


def test_a_stale_sending_row_is_resent_and_counted(sendgrid, routed_event):
    """A worker died between claiming the row and recording the result."""
    run_until_done(routed_event)
    with unit_of_work() as session:
        row = session.exec(select(Notification)).one()
        row.status, row.updated_at = "sending", utcnow() - timedelta(minutes=10)
        session.add(row)
    run_until_done(routed_event)
    row = notification()
    assert row.status == "sent" and row.ambiguous_attempts == 1 and len(sendgrid.accepted) == 2


def test_a_fresh_sending_row_is_left_to_its_owner(sendgrid, routed_event):
    run_until_done(routed_event)
    with unit_of_work() as session:
        row = session.exec(select(Notification)).one()
        row.status, row.updated_at = "sending", utcnow()
        session.add(row)
    run_until_done(routed_event)
    assert len(sendgrid.accepted) == 1


def test_missing_lead_is_skipped(sendgrid, routed_event):
    from services.notify.tasks import send_notification

    routed_event["lead_id"] = str(uuid4())
    send_notification(routed_event)
    assert sendgrid.requests == 0


def test_a_provider_that_keeps_dropping_the_answer_gets_at_most_two_copies(sendgrid, routed_event):
    """SendGrid takes the message and drops the connection, every time: two copies, never more."""
    sendgrid.enqueue(*[AcceptThenDrop() for _ in range(6)])
    run_until_done(routed_event)
    run_until_done(routed_event)  # a redelivered task changes nothing
    assert len(sendgrid.accepted) == 2 and sendgrid.requests == 2
    row = notification()
    assert row.status == "sent" and row.ambiguous_attempts == 2 and row.provider_message_id is None
    hand_sent_notices_to_routing()
    assert lead_status(routed_event["lead_id"]) == "notified"


def test_a_stale_sending_row_after_an_unknown_outcome_is_not_sent_a_third_time(sendgrid, routed_event):
    sendgrid.enqueue(AcceptThenDrop())
    run_until_done(routed_event)  # one dropped answer, then the resend: two copies
    with unit_of_work() as session:
        row = session.exec(select(Notification)).one()
        row.status, row.updated_at = "sending", utcnow() - timedelta(minutes=10)
        session.add(row)
    run_until_done(routed_event)  # its worker "died" after the second copy: the outcome is unknown
    row = notification()
    assert len(sendgrid.accepted) == 2 and row.status == "sent" and row.ambiguous_attempts == 2
