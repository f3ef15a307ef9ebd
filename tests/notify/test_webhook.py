"""Signed Event Webhook: verification with a key pair made here, parsing, and status folding."""

from __future__ import annotations

import base64
import itertools
import json
import random

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from services.notify.adapters.email.webhook_signature import verify_signed_webhook
from services.notify.domain.webhook import (
    DeliveryEvent,
    WebhookKeyError,
    WebhookRejected,
    advance,
    is_failure,
    parse_events,
    promote,
)

NOW = 1_795_000_000.0


def _keypair():
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


def _sign(private, timestamp: str, body: bytes) -> str:
    # SendGrid's format: base64 of the DER ECDSA signature over timestamp + raw body.
    return base64.b64encode(private.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


@pytest.fixture(scope="module")
def keys():
    return _keypair()


BODY = json.dumps(
    [
        {
            "email": "coordinator@clinic.example",
            "event": "delivered",
            "notification_id": "ntf-1",
            "sg_event_id": "ev-1",
            "timestamp": 1795000000,
        }
    ]
).encode()


def _reject(public, body, signature, timestamp, now=NOW) -> str:
    with pytest.raises(WebhookRejected) as caught:
        verify_signed_webhook(public, body, signature, timestamp, now)
    return caught.value.code


def test_genuine_signed_payload_is_accepted(keys):
    private, public = keys
    ts = str(int(NOW))
    verify_signed_webhook(public, BODY, _sign(private, ts, BODY), ts, NOW)


def test_pem_public_key_is_accepted_too(keys):
    private, _ = keys
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    ts = str(int(NOW))
    verify_signed_webhook(pem, BODY, _sign(private, ts, BODY), ts, NOW)


def test_tampered_body_is_rejected(keys):
    private, public = keys
    ts = str(int(NOW))
    signature = _sign(private, ts, BODY)
    tampered = BODY.replace(b"delivered", b"bounce")
    assert _reject(public, tampered, signature, ts) == "bad_signature"


def test_signature_from_another_key_is_rejected(keys):
    _, public = keys
    other_private, _ = _keypair()
    ts = str(int(NOW))
    assert _reject(public, BODY, _sign(other_private, ts, BODY), ts) == "bad_signature"


def test_signature_cannot_be_moved_to_another_timestamp(keys):
    private, public = keys
    signature = _sign(private, str(int(NOW)), BODY)
    assert _reject(public, BODY, signature, str(int(NOW) - 10)) == "bad_signature"


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_timestamp_outside_the_window_is_a_replay(keys, age):
    private, public = keys
    ts = str(int(NOW) - age)
    # Correctly signed, but old (a captured request replayed) or far in the future.
    assert _reject(public, BODY, _sign(private, ts, BODY), ts) == "stale_timestamp"


def test_timestamp_at_the_edge_of_the_window_is_accepted(keys):
    private, public = keys
    ts = str(int(NOW) - 300)
    verify_signed_webhook(public, BODY, _sign(private, ts, BODY), ts, NOW, window_seconds=300)


@pytest.mark.parametrize(
    ("signature", "timestamp", "code"),
    [
        (None, "1795000000", "missing_signature"),
        ("", "1795000000", "missing_signature"),
        ("sig", None, "missing_timestamp"),
        ("sig", "  ", "missing_timestamp"),
    ],
)
def test_missing_headers_are_rejected(keys, signature, timestamp, code):
    _, public = keys
    assert _reject(public, BODY, signature, timestamp) == code


@pytest.mark.parametrize("timestamp", ["1795000000.5", "-1795000000", "abc", "1e9", "17950000000000000"])
def test_malformed_timestamp_is_rejected(keys, timestamp):
    private, public = keys
    assert _reject(public, BODY, _sign(private, str(int(NOW)), BODY), timestamp) == "malformed_timestamp"


@pytest.mark.parametrize("signature", ["not base64!!", "====", "A" * 500, "YWJj\n!!"])
def test_malformed_signature_is_rejected_not_raised(keys, signature):
    _, public = keys
    assert _reject(public, BODY, signature, str(int(NOW))) == "malformed_signature"


def test_base64_that_is_not_a_der_signature_is_rejected(keys):
    _, public = keys
    assert _reject(public, BODY, base64.b64encode(b"\x00\x01garbage").decode(), str(int(NOW))) in (
        "bad_signature",
        "malformed_signature",
    )


def test_body_that_is_not_utf8_is_rejected(keys):
    private, public = keys
    ts = str(int(NOW))
    body = b"[\xff\xfe]"
    signature = base64.b64encode(private.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    assert _reject(public, body, signature, ts) == "malformed_body"


def test_unusable_configured_key_is_a_configuration_error():
    rsa_der = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for bad in ["", "not-a-key", base64.b64encode(rsa_der).decode()]:
        with pytest.raises(WebhookKeyError):
            verify_signed_webhook(bad, BODY, "c2ln", str(int(NOW)), NOW)


# --- parsing -------------------------------------------------------------------------------------

PAYLOAD = [
    {
        "email": "zebulon.quackenbush@example.net",
        "timestamp": 1795000001,
        "event": "processed",
        "sg_event_id": "sg-ev-processed",
        "sg_message_id": "msg.filter0001",
        "notification_id": "ntf-42",
        "kind": "lead_assigned",
    },
    {
        "email": "zebulon.quackenbush@example.net",
        "timestamp": 1795000009,
        "event": "bounce",
        "type": "bounce",
        "status": "5.1.1",
        "reason": "550 5.1.1 <zebulon.quackenbush@example.net>: Recipient address rejected",
        "ip": "203.0.113.9",
        "sg_event_id": "sg-ev-bounce",
        "notification_id": "ntf-42",
    },
    {
        "email": "x@example.net",
        "event": "dropped",
        "reason": "Unsubscribed Address",
        "sg_event_id": "sg-ev-drop",
        "notification_id": "ntf-43",
        "timestamp": 1795000002,
    },
    {
        "email": "x@example.net",
        "event": "dropped",
        "reason": "Something with x@example.net",
        "sg_event_id": "sg-ev-drop2",
        "notification_id": "ntf-44",
        "timestamp": 1795000002,
    },
    {
        "email": "x@example.net",
        "event": "deferred",
        "response": "400 try later x@example.net",
        "sg_event_id": "sg-ev-def",
        "notification_id": "ntf-45",
        "timestamp": 1795000003,
    },
    {
        "email": "x@example.net",
        "event": "open",
        "useragent": "Mozilla",
        "ip": "198.51.100.1",
        "sg_event_id": "sg-ev-open",
        "notification_id": "ntf-45",
        "timestamp": 1795000004,
    },
    {
        "email": "not-ours@example.net",
        "event": "delivered",
        "sg_event_id": "sg-ev-foreign",
        "timestamp": 1795000005,
    },
    {
        "email": "x@example.net",
        "event": "teleported",
        "sg_event_id": "sg-ev-odd",
        "notification_id": "ntf-46",
    },
    {
        "email": "x@example.net",
        "event": "delivered",
        "notification_id": "ntf evil <script>",
        "sg_event_id": "sg-ev-bad-id",
    },
    "not an object",
    {"event": "delivered", "notification_id": "ntf-47", "sg_event_id": "sg-ev-ts", "timestamp": "yesterday"},
]


def test_parse_keeps_our_events_with_ids_and_codes_only():
    events = parse_events(json.dumps(PAYLOAD).encode())

    assert [(e.notification_id, e.event, e.sg_event_id, e.reason_code) for e in events] == [
        ("ntf-42", "processed", "sg-ev-processed", None),
        ("ntf-42", "bounce", "sg-ev-bounce", "bounce:5.1.1"),
        ("ntf-43", "dropped", "sg-ev-drop", "dropped:unsubscribed_address"),
        ("ntf-44", "dropped", "sg-ev-drop2", "dropped"),
        ("ntf-45", "deferred", "sg-ev-def", "deferred"),
        ("ntf-45", "open", "sg-ev-open", None),
        ("ntf-47", "delivered", "sg-ev-ts", None),
    ]
    assert events[0].timestamp is not None and events[0].timestamp.timestamp() == 1795000001
    assert events[-1].timestamp is None
    flat = repr(events)
    for leaked in ["@example.net", "203.0.113.9", "198.51.100.1", "Mozilla", "Recipient address", "<script>"]:
        assert leaked not in flat


@pytest.mark.parametrize("body", [b"{not json", b'{"event": "delivered"}', b"", b"\xff\xfe"])
def test_malformed_body_is_rejected(body):
    with pytest.raises(WebhookRejected) as caught:
        parse_events(body)
    assert caught.value.code == "malformed_body"


# --- status folding ------------------------------------------------------------------------------


def _fold(start: str, events: list[str]) -> str:
    status = start
    for event in events:
        new = advance(status, event)
        if new is not None:
            status = new
    return status


def test_happy_path_moves_forward():
    assert advance("sending", "processed") == "sent"
    assert advance("sent", "deferred") is None
    assert advance("sent", "delivered") == "delivered"


def test_webhook_before_our_own_commit_still_moves_forward():
    assert advance("pending", "delivered") == "delivered"
    assert promote("delivered", "sent") is None  # our late "sent" write must not undo it


def test_delivered_never_goes_back():
    for event in ["processed", "deferred", "delivered", "open", "click"]:
        assert advance("delivered", event) is None


def test_bounce_after_delivered_is_recorded_as_bounced():
    assert advance("delivered", "bounce") == "bounced"
    assert is_failure("bounced")


def test_dropped_fails_and_failures_absorb_later_events():
    assert advance("sent", "dropped") == "failed"
    assert advance("failed", "delivered") is None
    assert advance("bounced", "dropped") is None
    assert advance("bounced", "bounce") is None


def test_engagement_events_change_nothing():
    assert advance("sent", "open") is None
    assert advance("sent", "spamreport") is None


def test_unknown_status_is_an_error():
    with pytest.raises(ValueError):
        advance("lost", "delivered")
    with pytest.raises(ValueError):
        promote("sent", "vanished")


@pytest.mark.parametrize(
    ("events", "final"),
    [
        (["processed", "deferred", "deferred", "delivered", "processed", "delivered"], "delivered"),
        (["processed", "delivered", "bounce", "delivered", "processed"], "bounced"),
        (["processed", "deferred", "dropped", "processed"], "failed"),
    ],
)
def test_duplicates_in_any_order_reach_the_same_final_state(events, final):
    orders = set(itertools.permutations(events))
    assert len(orders) > 10
    assert {_fold("sending", list(order)) for order in orders} == {final}


def test_parsed_webhook_batches_converge_whatever_the_delivery_order():
    batch = [
        {"event": "processed", "notification_id": "ntf-9", "sg_event_id": "a"},
        {"event": "deferred", "notification_id": "ntf-9", "sg_event_id": "b"},
        {"event": "delivered", "notification_id": "ntf-9", "sg_event_id": "c"},
    ]
    rng = random.Random(7)
    finals = set()
    for _ in range(20):
        resent = batch + rng.sample(batch, 2)  # SendGrid retries: duplicates
        rng.shuffle(resent)
        events: list[DeliveryEvent] = parse_events(json.dumps(resent).encode())
        finals.add(_fold("sending", [e.event for e in events]))
    assert finals == {"delivered"}
