"""SMS pages through the real twilio client and a local stand-in of Twilio's Messages API:
crisis and escalation notices page the person's phone once, with no PHI; a signed reply with the
page's code acknowledges the lead; failed status callbacks move the ladder on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import LeadEscalatedV1, LeadRoutedV1
from shared.schema import Assignment, Lead, LeadContact, LeadState, Notification
from tests.factories import make_coordinator
from tests.notify.conftest import lead_status, outbox_events, run_task_until_done
from tests.support.fake_sendgrid import ClientError, ServerError
from tests.support.fake_twilio import FakeTwilio, RateLimited, signed_form_post

from services.notify.adapters.sms.twilio import TwilioSmsBackend

CANARY = {
    "name": "Quillon Pagerfield",
    "phone": "+19495550177",
    "email": "quillon.pager@example.com",
    "message": "Quillon has thoughts of suicide and asks about Spravato",
}
PAGER = "+19495550142"
REPLY_PATH = "/v1/webhooks/twilio/sms"
STATUS_PATH = "/v1/webhooks/twilio/status"


@pytest.fixture
def twilio(db, monkeypatch):
    from shared.settings import reset_settings_cache

    from services.notify.adapters.sms import reset_sms_backend

    with FakeTwilio() as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        reset_settings_cache()
        reset_sms_backend()
        yield fake
    reset_settings_cache()
    reset_sms_backend()


def routed_lead(urgency: str = "crisis", pager: str | None = PAGER) -> tuple[dict, object]:
    coordinator = make_coordinator(name="Dana Reyes", email="dana@clinic.example", pager_phone=pager)
    with unit_of_work() as session:
        lead = Lead(reference="R-PAGE7Q2", channel="web")
        session.add(lead)
        session.flush()
        session.add(
            LeadState(lead_id=lead.id, status="routed", urgency=urgency, coordinator_id=coordinator.id)
        )
        session.add(LeadContact(lead_id=lead.id, **CANARY))
        assignment = Assignment(lead_id=lead.id, coordinator_id=coordinator.id, step=0, reason="test")
        session.add(assignment)
    event = LeadRoutedV1(
        lead_id=lead.id,
        assignment_id=assignment.id,
        coordinator_id=coordinator.id,
        urgency=urgency,
        acknowledge_by=utcnow() + timedelta(minutes=5),
    )
    return event.model_dump(mode="json"), coordinator


def pages() -> list[Notification]:
    with unit_of_work() as session:
        return list(session.exec(select(Notification).where(Notification.channel == "sms")).all())


def send(payload) -> int:
    from services.notify.tasks import send_notification

    return run_task_until_done(send_notification, payload)


def test_crisis_lead_pages_the_phone_once_with_reference_code_and_link_but_no_phi(twilio):
    payload, _ = routed_lead()
    send(payload)
    send(payload)  # a redelivered task: still one page
    [sms] = twilio.accepted
    assert twilio.requests == 1
    assert sms["To"] == PAGER and sms["StatusCallback"].endswith(STATUS_PATH)
    [row] = pages()
    assert row.status == "sent" and row.provider_message_id == sms["Sid"] and row.backend == "twilio"
    body = sms["Body"]
    assert "CRISIS" in body and "R-PAGE7Q2" in body and row.ack_code in body
    assert "/console/leads/R-PAGE7Q2?t=" in body and len(body) <= 320
    for value in CANARY.values():
        assert value.lower() not in body.lower()
    for word in ("suicid", "spravato", "quillon"):
        assert word not in body.lower()


def test_routine_lead_sends_no_page(twilio):
    payload, _ = routed_lead(urgency="routine")
    send(payload)
    assert twilio.accepted == [] and pages() == []


def test_crisis_lead_for_someone_without_a_pager_phone_is_email_only(twilio):
    payload, _ = routed_lead(pager=None)
    send(payload)
    assert twilio.accepted == [] and pages() == []


def test_escalation_pages_the_person_the_ladder_chose(twilio):
    payload, dana = routed_lead(urgency="urgent")
    from services.notify.tasks import send_escalation

    event = LeadEscalatedV1(
        lead_id=payload["lead_id"], step=1, recipient_coordinator_id=dana.id, role="backup", urgency="urgent"
    ).model_dump(mode="json")
    run_task_until_done(send_escalation, event)
    [sms] = twilio.accepted
    assert "escalation" in sms["Body"] and "Reply" in sms["Body"]


def test_rate_limited_and_server_errors_are_retried_then_paged_once(twilio):
    twilio.enqueue(RateLimited(), ServerError(503))
    payload, _ = routed_lead()
    assert send(payload) == 3
    assert len(twilio.accepted) == 1
    [row] = pages()
    assert row.status == "sent" and row.attempts == 3


def test_refused_number_fails_the_page_once_moves_the_ladder_and_alerts(twilio):
    twilio.enqueue(ClientError(400))
    payload, _ = routed_lead()
    send(payload)
    [row] = pages()
    assert row.status == "failed" and row.last_error == "rejected_400" and twilio.requests == 1
    failed = outbox_events("notification.failed")
    assert [f["notification_id"] for f in failed] == [str(row.id)]
    assert any(a["kind"] == "sms_failed" for a in outbox_events("alert.raised"))


def test_twilio_backend_maps_a_hang_to_an_ambiguous_timeout():
    from tests.support.fake_sendgrid import Hang

    from services.notify.domain.errors import RetryableSendError
    from services.notify.domain.page import OutgoingSms

    with FakeTwilio() as fake:
        fake.enqueue(Hang(seconds=5, accept=True))
        backend = TwilioSmsBackend(
            account_sid=fake.account_sid,
            auth_token=fake.auth_token,
            from_number="+15005550006",
            base_url=fake.url,
            timeout=0.5,
            status_callback=None,
        )
        with pytest.raises(RetryableSendError) as caught:
            backend.send(OutgoingSms(notification_id="n1", to=PAGER, body="CareRoute test"))
    assert caught.value.ambiguous and caught.value.reason == "timeout"


def test_signed_reply_with_the_code_acknowledges_the_lead(twilio, client):
    from services.routing.tasks import acknowledge_page

    payload, _ = routed_lead()
    send(payload)
    [row] = pages()
    answer = signed_form_post(
        client,
        REPLY_PATH,
        {"From": PAGER, "To": "+15005550006", "Body": f"ok {row.ack_code}", "MessageSid": "SMx"},
    )
    assert answer.status_code == 200 and "acknowledged" in answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    [event] = outbox_events("page.acknowledged")
    assert acknowledge_page(event) == "acknowledged"
    assert acknowledge_page(event) == "duplicate"
    assert lead_status(payload["lead_id"]) == "acknowledged"


def test_reply_from_another_number_or_with_a_wrong_code_acknowledges_nothing(twilio, client):
    payload, _ = routed_lead()
    send(payload)
    [row] = pages()
    other = signed_form_post(client, REPLY_PATH, {"From": "+19495550100", "Body": row.ack_code})
    wrong = signed_form_post(
        client, REPLY_PATH, {"From": PAGER, "Body": "000000" if row.ack_code != "000000" else "111111"}
    )
    empty = signed_form_post(client, REPLY_PATH, {"From": PAGER, "Body": "yes"})
    assert [r.status_code for r in (other, wrong, empty)] == [200, 200, 200]
    assert "matches no current page" in other.text and "6-digit code" in empty.text
    assert outbox_events("page.acknowledged") == []


@pytest.mark.parametrize("path", [REPLY_PATH, STATUS_PATH])
def test_unsigned_or_wrongly_signed_webhooks_are_refused(twilio, client, path):
    fields = {"From": PAGER, "Body": "123456", "MessageSid": "SM1", "MessageStatus": "failed"}
    unsigned = client.post(path, data=fields)
    wrong = signed_form_post(client, path, fields, auth_token="not-the-token")
    for answer in (unsigned, wrong):
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert outbox_events() == []


def test_undelivered_status_moves_the_ladder_once_and_delivered_is_kept(twilio, client):
    payload, _ = routed_lead()
    send(payload)
    [row] = pages()
    fields = {"MessageSid": row.provider_message_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    first = signed_form_post(client, STATUS_PATH, fields)
    again = signed_form_post(client, STATUS_PATH, fields)  # Twilio retries callbacks
    late = signed_form_post(client, STATUS_PATH, {**fields, "MessageStatus": "delivered"})
    assert [r.json()["result"] for r in (first, again, late)] == ["failed", "ignored", "ignored"]
    [failed] = outbox_events("notification.failed")
    assert failed["reason"] == "sms_undelivered" and failed["notification_id"] == str(row.id)
    [row] = pages()
    assert row.status == "failed"


def test_delivered_status_marks_the_page_delivered(twilio, client):
    payload, _ = routed_lead()
    send(payload)
    [row] = pages()
    answer = signed_form_post(
        client, STATUS_PATH, {"MessageSid": row.provider_message_id, "MessageStatus": "delivered"}
    )
    assert answer.json()["result"] == "delivered"
    assert pages()[0].status == "delivered" and outbox_events("notification.failed") == []
