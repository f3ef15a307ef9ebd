"""POST /v1/webhooks/sendgrid through the app, with a key pair generated here: forged, tampered,
stale and unsigned requests are refused; duplicates and any arrival order reach one final state;
bounces move the ladder and tell a supervisor."""

from __future__ import annotations

import base64
import itertools
import json
import random
import time
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import func, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import DeliveryEvent, Lead, LeadState, Notification
from tests.factories import make_coordinator
from tests.notify.conftest import outbox_events

URL = "/v1/webhooks/sendgrid"


def keypair():
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def signed_headers(private, body: bytes, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = base64.b64encode(private.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    return {
        "X-Twilio-Email-Event-Webhook-Signature": signature,
        "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        "content-type": "application/json",
    }


@pytest.fixture(scope="module")
def keys():
    return keypair()


@pytest.fixture
def webhook(client, keys, monkeypatch):
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("CAREROUTE_SENDGRID_WEBHOOK_PUBLIC_KEY", keys[1])
    reset_settings_cache()
    private = keys[0]

    def post(events, *, key=None, timestamp=None, body: bytes | None = None, headers=None):
        raw = body if body is not None else json.dumps(events).encode()
        hdrs = headers if headers is not None else signed_headers(key or private, raw, timestamp)
        return client.post(URL, content=raw, headers=hdrs)

    yield post
    reset_settings_cache()


def make_notification(*, urgency="crisis", kind="lead_assigned", status="sent", lead=True) -> Notification:
    coordinator = make_coordinator(name="Dana Reyes", email=f"dana{uuid4().hex[:6]}@clinic.example")
    with unit_of_work() as session:
        lead_id = None
        if lead:
            row = Lead(reference=f"R-{uuid4().hex[:7].upper()}", channel="web")
            session.add(row)
            session.flush()
            session.add(LeadState(lead_id=row.id, status="notified", urgency=urgency))
            lead_id = row.id
        notification = Notification(
            lead_id=lead_id,
            recipient=coordinator.email,
            kind=kind,
            status=status,
            urgency=urgency,
            coordinator_id=coordinator.id,
            backend="sendgrid",
            sent_at=utcnow(),
            subject_key=None if lead else f"alert:{uuid4()}",
        )
        session.add(notification)
    return notification


def event(notification, name, n, **extra) -> dict:
    return {
        "email": "dana@clinic.example",
        "timestamp": 1795000000 + n,
        "event": name,
        "sg_event_id": f"{notification.id}-{name}-{n}",
        "sg_message_id": "abc.filter0001",
        "notification_id": str(notification.id),
        "ip": "10.0.0.1",
        **extra,
    }


def status_of(notification) -> str:
    with unit_of_work() as session:
        return session.get(Notification, notification.id).status


def stored_events() -> int:
    with unit_of_work() as session:
        return session.exec(select(func.count()).select_from(DeliveryEvent)).one()


def test_genuine_batch_is_stored_and_moves_the_notification_forward(webhook):
    row = make_notification()
    response = webhook([event(row, "processed", 1), event(row, "delivered", 2)])
    assert response.status_code == 200 and response.json()["stored"] == 2
    assert status_of(row) == "delivered" and stored_events() == 2
    with unit_of_work() as session:
        assert session.get(Notification, row.id).last_event_at is not None


def test_tampered_body_is_refused_and_nothing_is_stored(webhook, keys):
    row = make_notification()
    body = json.dumps([event(row, "delivered", 1)]).encode()
    headers = signed_headers(keys[0], body)
    tampered = body.replace(b"delivered", b"bounce\x20\x20\x20")
    response = webhook(None, body=tampered, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad_signature"
    assert status_of(row) == "sent" and stored_events() == 0


def test_a_payload_signed_with_another_key_is_refused(webhook):
    row = make_notification()
    other_private, _ = keypair()
    response = webhook([event(row, "bounce", 1)], key=other_private)
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"
    assert status_of(row) == "sent"


def test_a_replayed_stale_timestamp_is_refused_even_when_correctly_signed(webhook):
    row = make_notification()
    response = webhook([event(row, "delivered", 1)], timestamp=int(time.time()) - 3600)
    assert response.status_code == 403 and response.json()["code"] == "stale_timestamp"
    assert stored_events() == 0


def test_missing_or_malformed_signature_is_refused(webhook):
    row = make_notification()
    body = json.dumps([event(row, "delivered", 1)]).encode()
    unsigned = webhook(None, body=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "missing_signature"
    garbage = webhook(
        None,
        body=body,
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(b"not a der signature").decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": str(int(time.time())),
        },
    )
    assert garbage.status_code == 403 and garbage.json()["code"] in ("malformed_signature", "bad_signature")
    assert stored_events() == 0


def test_without_a_configured_key_the_webhook_refuses_everything(client):
    response = client.post(URL, content=b"[]", headers={"content-type": "application/json"})
    assert response.status_code == 503 and response.json()["code"] == "webhook_not_configured"


def test_duplicated_batches_are_harmless(webhook):
    row = make_notification(urgency="routine")
    batch = [event(row, "processed", 1), event(row, "delivered", 2)]
    for _ in range(3):
        assert webhook(batch).status_code == 200
    assert status_of(row) == "delivered" and stored_events() == 2
    assert webhook(batch).json()["duplicates"] == 2


@pytest.mark.parametrize(
    ("names", "final"),
    [
        (["processed", "deferred", "delivered"], "delivered"),
        (["processed", "deferred", "bounce"], "bounced"),
        (["processed", "delivered", "dropped"], "failed"),
    ],
)
def test_every_arrival_order_reaches_the_same_final_state(webhook, names, final):
    orders = list(itertools.permutations(range(len(names))))
    random.Random(7).shuffle(orders)
    for order in orders:
        row = make_notification(urgency="routine")
        events = [event(row, names[i], i) for i in order]
        # one batch per event, in this order, with a duplicate thrown in
        for item in events + [events[0]]:
            assert webhook([item]).status_code == 200
        assert status_of(row) == final, order


def test_crisis_bounce_moves_the_ladder_and_tells_a_supervisor_once(webhook):
    row = make_notification(urgency="crisis")
    bounce = event(
        row,
        "bounce",
        2,
        type="bounce",
        status="5.1.1",
        reason="550 5.1.1 <dana@clinic.example>: no such user",
    )
    webhook([event(row, "processed", 1), bounce])
    webhook([bounce, event(row, "dropped", 3, reason="Bounced Address")])
    assert status_of(row) == "bounced"
    [failed] = outbox_events("notification.failed")
    assert failed["reason"] == "bounced" and failed["urgency"] == "crisis"
    assert failed["notification_id"] == str(row.id) and failed["recipient_coordinator_id"] == str(
        row.coordinator_id
    )
    [raised] = outbox_events("alert.raised")
    assert raised["kind"] == "address_bounced" and raised["severity"] == "critical"
    assert raised["coordinator_id"] == str(row.coordinator_id)
    with unit_of_work() as session:  # the free-text reason (with an address) is never kept
        reasons = [e.reason_code for e in session.exec(select(DeliveryEvent)).all()]
    assert "bounce:5.1.1" in reasons and not any("@" in (r or "") for r in reasons)


def test_routine_bounce_tells_a_supervisor_but_leaves_the_ladder_to_the_sla(webhook):
    row = make_notification(urgency="routine")
    webhook([event(row, "bounce", 1)])
    assert outbox_events("notification.failed") == []
    assert [e["kind"] for e in outbox_events("alert.raised")] == ["address_bounced"]


def test_a_bounced_alert_email_raises_no_alert_about_itself(webhook):
    row = make_notification(kind="alert", urgency=None, lead=False)
    webhook([event(row, "bounce", 1)])
    assert status_of(row) == "bounced"
    assert outbox_events("alert.raised") == [] and outbox_events("notification.failed") == []


def test_events_for_unknown_notifications_are_ignored(webhook):
    response = webhook(
        [
            {
                "event": "delivered",
                "notification_id": str(uuid4()),
                "sg_event_id": "x1",
                "timestamp": 1795000000,
            },
            {"event": "delivered", "sg_event_id": "x2"},
        ]
    )
    assert response.status_code == 200 and response.json()["stored"] == 0 and stored_events() == 0
