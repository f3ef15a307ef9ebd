"""Failures of every kind of notice: no retry storm, the ladder moves on, supervisors hear, and a
crisis email keeps trying (real database, the real sendgrid client against FakeSendGrid)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.clock import utcnow
from tests.notify.conftest import outbox_events, run_task_until_done
from tests.notify.notices import alert, make_lead, make_supervisor, routed, rows
from tests.support.fake_sendgrid import ClientError, Hang, HtmlTooLarge, RateLimited, ServerError

# --- failures: no retry storm, the ladder moves, the console hears -------------------------------------


@pytest.mark.parametrize("behaviour", [ClientError(400), ClientError(401), ClientError(403), HtmlTooLarge()])
def test_permanent_failure_is_one_request_then_routing_and_a_supervisor_are_told(sendgrid, dana, behaviour):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="urgent")
    sendgrid.enqueue(behaviour)
    run_task_until_done(send_notification, routed(lead, assignment))
    run_task_until_done(send_notification, routed(lead, assignment))  # a redelivery changes nothing
    assert sendgrid.requests == 1
    [row] = rows()
    assert row.status == "failed" and row.failure_reported_at is not None
    [failed] = outbox_events("notification.failed")
    assert failed["notification_id"] == str(row.id) and failed["lead_id"] == str(lead.id)
    assert failed["recipient_coordinator_id"] == str(dana.id) and failed["urgency"] == "urgent"
    [raised] = outbox_events("alert.raised")
    assert raised["kind"] == "email_failed" and raised["severity"] == "warning"


def test_an_alert_email_that_fails_raises_no_alert_about_itself(sendgrid):
    from services.notify.tasks import send_alert

    make_supervisor(name="Pat Supervisor", email="pat@clinic.example")
    sendgrid.enqueue(ClientError(401))
    run_task_until_done(send_alert, alert())
    assert [r.status for r in rows()] == ["failed"]
    assert outbox_events("alert.raised") == [] and outbox_events("notification.failed") == []


def test_server_errors_back_off_exponentially_and_rate_limits_wait_for_the_reset(sendgrid, dana):
    from shared.retry import RetryLater

    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="routine")
    payload = routed(lead, assignment)
    sendgrid.enqueue(ServerError(503), RateLimited(reset_in=40))
    with pytest.raises(RetryLater) as first:
        send_notification(payload)
    assert 1 <= first.value.delay <= 2  # attempt 1: 2 s with equal jitter
    with pytest.raises(RetryLater) as second:
        send_notification(payload)
    assert 39 <= second.value.delay <= 46  # X-RateLimit-Reset, plus jitter
    send_notification(payload)
    [row] = rows()
    assert row.status == "sent" and row.attempts == 3 and len(sendgrid.accepted) == 1


def test_a_hung_provider_times_out_and_the_resend_is_counted_ambiguous(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana)
    sendgrid.enqueue(Hang(seconds=3, accept=True))  # took it, never answered within the 1 s timeout
    assert run_task_until_done(send_notification, routed(lead, assignment)) == 2
    [row] = rows()
    assert row.status == "sent" and row.ambiguous_attempts == 1 and len(sendgrid.accepted) == 2


def test_routine_notice_gives_up_after_its_retries_and_moves_the_ladder(sendgrid, dana):
    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="routine")
    sendgrid.enqueue(ServerError(502))
    send_notification.apply(args=[routed(lead, assignment)], retries=10)  # the 11th try
    [row] = rows()
    assert row.status == "failed" and row.last_error == "retries_exhausted:provider_502"
    assert [e["reason"] for e in outbox_events("notification.failed")] == ["retries_exhausted:provider_502"]


def test_crisis_email_failing_past_its_deadline_raises_a_critical_alarm_once_and_keeps_trying(sendgrid, dana):
    from shared.retry import RetryLater

    from services.notify.tasks import send_notification

    lead, assignment = make_lead(dana, urgency="crisis")
    payload = routed(lead, assignment, occurred_at=utcnow() - timedelta(minutes=3))  # deadline: 2 min
    sendgrid.enqueue(ServerError(503), ServerError(500))
    for _ in range(2):
        with pytest.raises(RetryLater) as retry:
            send_notification(payload)
        assert retry.value.unlimited  # a crisis notice never stops trying
    [alarm] = outbox_events("alert.raised")
    assert alarm["kind"] == "crisis_email_overdue" and alarm["severity"] == "critical"
    assert alarm["lead_id"] == str(lead.id)
    [failed] = outbox_events("notification.failed")
    assert failed["reason"] == "crisis_email_overdue" and failed["urgency"] == "crisis"
    send_notification(payload)
    assert len(sendgrid.accepted) == 1 and rows()[0].status == "sent"
