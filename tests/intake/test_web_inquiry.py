"""The public web form: accepted fast and durably, or refused with a clear, PHI-free problem."""

from __future__ import annotations

import json

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import AuditEvent, Lead, LeadContact, LeadState, OutboxEvent
from tests.factories import web_form

PHI_VALUES = ("Ana Example", "ana@example.com", "555 0100", "5550100", "depression")


def post(client, body, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        "/v1/inquiries/web", content=raw, headers={"content-type": "application/json", **headers}
    )


def assert_no_phi(response):
    for value in PHI_VALUES:
        assert value not in response.text


def test_web_inquiry_is_durable_with_its_event_before_202(client):
    response = post(client, web_form())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received"
    assert body["status_url"] == f"/v1/leads/{body['lead_id']}"
    assert body["reference"].startswith("R-")
    with unit_of_work() as session:
        lead = session.exec(select(Lead)).one()
        contact = session.get(LeadContact, lead.id)
        event = session.exec(select(OutboxEvent)).one()
        audit = session.exec(select(AuditEvent)).one()
    assert str(lead.id) == body["lead_id"] and lead.channel == "web"
    with unit_of_work() as session:  # received: routing has not touched it yet
        assert session.get(LeadState, lead.id) is None
    assert contact.phone == "+19495550100"  # normalised to E.164
    assert contact.email == "ana@example.com"
    assert event.event_type == "lead.received" and event.published_at is None
    assert event.payload["lead_id"] == body["lead_id"]
    # Events carry ids and codes only: nothing of the person reaches the broker.
    assert not any(v in json.dumps(event.payload) for v in PHI_VALUES)
    assert audit.action == "lead.create" and audit.actor == "public"


def test_risky_message_gets_crisis_resources_in_the_response(client):
    body = web_form(message="I have a plan to end my life this weekend")
    response = post(client, body)
    assert response.status_code == 202
    resources = response.json()["crisis_resources"]
    hows = " ".join(r["how"] for r in resources["resources"])
    assert "988" in hows and "press 1" in hows and "911" in hows
    with unit_of_work() as session:
        lead = session.exec(select(Lead)).one()
        event = session.exec(select(OutboxEvent)).one()
    assert lead.risk_flag is True and event.queue == "crisis"


def test_spanish_form_gets_spanish_resources(client):
    response = post(client, web_form(message="Ya no quiero vivir, pienso en suicidarme", language="es"))
    assert response.status_code == 202
    assert "Llame" in response.json()["crisis_resources"]["resources"][0]["how"]


def test_benign_message_gets_no_crisis_resources(client):
    response = post(client, web_form(message="Do you take Aetna for Spravato?"))
    assert response.status_code == 202
    assert response.json()["crisis_resources"] is None


def test_missing_and_malformed_fields_are_named_without_echoing_values(client):
    response = post(client, web_form(phone="555", email="ana@@example", name="   "))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    fields = {e["field"] for e in problem["errors"]}
    assert {"phone", "email", "name"} <= fields
    assert problem["status"] == 422 and problem["title"]
    assert "ana@@example" not in response.text
    assert_no_phi(response)


def test_unknown_fields_such_as_status_are_refused(client):
    response = post(client, web_form(status="scheduled", urgency="routine", assigned_to="x"))
    assert response.status_code == 422
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert fields == {
        "status": "extra_forbidden",
        "urgency": "extra_forbidden",
        "assigned_to": "extra_forbidden",
    }


def test_a_way_to_reach_the_person_is_required(client):
    response = post(client, web_form(phone=None, email=None))
    assert response.status_code == 422
    assert "phone number or an e-mail" in response.text


def test_wrong_boolean_type_is_refused_but_crisis_check_still_runs(client):
    response = post(client, web_form(consent_to_contact="yes", message="I want to kill myself tonight"))
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["field"] == "consent_to_contact"
    assert "988" in json.dumps(problem["crisis_resources"])


def test_body_over_the_limit_is_413_with_or_without_content_length(client):
    big = json.dumps(web_form(message="x" * 70_000))
    assert post(client, big).status_code == 413

    def chunks():
        for i in range(0, len(big), 4096):
            yield big[i : i + 4096].encode()

    response = client.post(
        "/v1/inquiries/web", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_field_length_limit(client):
    response = post(client, web_form(message="x" * 5001))
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "message",
        "code": "string_too_long",
        "detail": "Too long.",
    }


def test_duplicate_json_keys_are_refused(client):
    raw = '{"name":"Ana Example","name":"Someone Else","phone":"+19495550100","message":"hi","consent_to_contact":true}'
    response = post(client, raw)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "duplicate_key"


def test_nan_deep_nesting_and_bad_utf8_are_400(client):
    assert post(client, '{"name": NaN}').status_code == 400
    deep = '{"a":' * 50 + "1" + "}" * 50
    assert post(client, deep).status_code in (400, 422)
    assert post(client, b'{"name":"\xff"}').status_code == 400


def test_wrong_content_type_is_415(client):
    response = client.post(
        "/v1/inquiries/web", content="name=Ana", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415


def test_nul_lone_surrogate_and_control_characters_are_refused(client):
    assert post(client, web_form(name="Ana\u0000Example")).status_code == 422
    raw = json.dumps(web_form()).replace("Years of", "Years \\ud800 of")
    response = post(client, raw)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "message"
    assert post(client, web_form(email="ana@example.com\r\nBcc: x@evil.example")).status_code == 422


def test_invisible_characters_are_stripped_from_names(client):
    response = post(client, web_form(name="Ana\u200b Exa\u202emple"))
    assert response.status_code == 202
    with unit_of_work() as session:
        assert session.exec(select(LeadContact)).one().name == "Ana Example"


def test_impossible_and_future_birth_dates_are_refused(client):
    assert post(client, web_form(date_of_birth="2023-02-30")).status_code == 422
    assert post(client, web_form(date_of_birth="2999-01-01")).status_code == 422
    assert post(client, web_form(date_of_birth="1990-02-28")).status_code == 202


def test_html_in_free_text_is_stored_as_text(client):
    response = post(client, web_form(message="<script>alert(1)</script> I feel low"))
    assert response.status_code == 202
    with unit_of_work() as session:
        assert session.exec(select(LeadContact)).one().message.startswith("<script>")


def test_the_webhook_path_alone_accepts_large_batches(client):
    """SendGrid's event batches reach ~768 KB; the 64 KB limit still holds everywhere else."""
    big = b"[" + b",".join([b'{"event":"delivered"}'] * 40_000) + b"]"  # ~880 KB
    webhook = client.post("/v1/webhooks/sendgrid", content=big, headers={"content-type": "application/json"})
    assert webhook.status_code != 413
    assert post(client, big).status_code == 413
