"""Consent is recorded with the lead: the wording's version, language and hash, the time, the
channel and, on the phone, the agent who heard it; the preferred contact method is stored and
shown to staff."""

from __future__ import annotations

import hashlib
import json

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import Consent, LeadContact
from tests.factories import phone_log, web_form

from services.intake.app.consent import CONSENT_DIR


def post(client, body: dict, path: str = "/v1/inquiries/web", **headers):
    return client.post(
        path, content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )


def sha256_of(version: str, language: str) -> str:
    text = (CONSENT_DIR / version / f"{language}.txt").read_text(encoding="utf-8").strip()
    return hashlib.sha256(text.encode()).hexdigest()


def only_consent() -> Consent:
    with unit_of_work() as session:
        return session.exec(select(Consent)).one()


def test_a_web_form_records_the_wording_it_was_sent_under(client):
    response = post(client, web_form(language="es", preferred_contact_method="text"))
    assert response.status_code == 202
    consent = only_consent()
    assert str(consent.lead_id) == response.json()["lead_id"]
    assert (consent.wording_version, consent.wording_language, consent.channel) == ("2026-11", "es", "web")
    assert consent.wording_sha256 == sha256_of("2026-11", "es")
    assert consent.heard_by is None and consent.given_at is not None
    with unit_of_work() as session:
        assert session.get(LeadContact, consent.lead_id).preferred_contact_method == "text"


def test_a_phone_log_records_the_agent_who_heard_the_consent(client, make_key):
    agent = make_key("call_center")
    response = post(client, phone_log(), "/v1/inquiries/phone", **agent)
    assert response.status_code == 202
    consent = only_consent()
    assert consent.channel == "phone" and consent.wording_language == "en"
    assert consent.heard_by is not None and consent.heard_by.startswith("key:")
    with unit_of_work() as session:
        from shared.schema import Lead

        assert consent.heard_by == f"key:{session.get(Lead, consent.lead_id).submitted_by_key_id}"


def test_a_phone_log_without_the_callers_consent_is_refused(client, make_key):
    agent = make_key("call_center")
    missing = post(
        client,
        {k: v for k, v in phone_log().items() if k != "consent_to_contact"},
        "/v1/inquiries/phone",
        **agent,
    )
    declined = post(client, phone_log(consent_to_contact=False), "/v1/inquiries/phone", **agent)
    assert missing.status_code == declined.status_code == 422
    assert missing.json()["errors"][0]["field"] == "consent_to_contact"


def test_the_form_endpoint_shows_the_current_wording_in_the_persons_language(client):
    spanish = client.get("/v1/inquiries/web/form", params={"language": "es"}).json()
    assert spanish["consent"]["version"] == "2026-11" and spanish["consent"]["language"] == "es"
    assert "988" in spanish["consent"]["text"] and "acepta" in spanish["consent"]["text"]
    assert client.get("/v1/inquiries/web/form").json()["consent"]["language"] == "en"


def test_staff_in_scope_see_the_consent_and_preferred_method_on_the_lead(client, make_key):
    lead_id = post(client, web_form(preferred_contact_method="email")).json()["lead_id"]
    lead = client.get(f"/v1/leads/{lead_id}", headers=make_key("supervisor")).json()
    assert lead["consent"]["wording_version"] == "2026-11" and lead["consent"]["channel"] == "web"
    assert lead["contact"]["preferred_contact_method"] == "email"
    # The access rules hold: an admin reads a lead only by break-the-glass, a coordinator only
    # the leads in their scope (this one is nobody's yet), and both get 404 like a missing lead.
    for outsider in (make_key("admin"), make_key("coordinator")):
        assert client.get(f"/v1/leads/{lead_id}", headers=outsider).status_code == 404


def test_a_providers_status_read_shows_no_consent(client, make_key):
    from tests.factories import referral

    harbor = make_key("provider", organization="Harbor Psychiatry")
    lead_id = post(client, referral(), "/v1/referrals", **harbor).json()["lead_id"]
    lead = client.get(f"/v1/leads/{lead_id}", headers=harbor).json()
    assert lead["contact"] is None and lead["consent"] is None and lead["spam_reason"] is None


def test_a_method_needs_the_detail_it_uses(client):
    response = post(client, web_form(phone=None, preferred_contact_method="text"))
    assert response.status_code == 422
    assert "phone number" in response.json()["errors"][0]["detail"]
    assert post(client, web_form(email=None, preferred_contact_method="email")).status_code == 422


def test_an_unknown_consent_version_is_refused_with_the_known_ones(client):
    response = post(client, web_form(consent_version="1999-01"))
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "consent_version" and "'2026-11'" in problem["detail"]
