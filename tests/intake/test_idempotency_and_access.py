"""Idempotency-Key semantics, API-key roles, and object-level access to leads."""

from __future__ import annotations

import json
import threading

from sqlalchemy import text
from sqlmodel import func, select

from shared.db import get_engine, unit_of_work
from shared.schema import AuditEvent, Lead
from tests.factories import phone_log, referral, web_form


def post(client, path, body, **headers):
    return client.post(
        path, content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )


def lead_count() -> int:
    with unit_of_work() as session:
        return session.exec(select(func.count()).select_from(Lead)).one()


def test_retry_with_same_key_and_body_returns_the_same_lead(client):
    first = post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "form-123"})
    again = post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "form-123"})
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert lead_count() == 1


def test_same_key_with_a_different_body_is_422(client):
    post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "form-123"})
    response = post(
        client, "/v1/inquiries/web", web_form(message="Different"), **{"Idempotency-Key": "form-123"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert lead_count() == 1


def test_keys_are_scoped_per_client(client, make_key):
    agent = make_key("call_center")
    post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "k1"})
    response = post(client, "/v1/inquiries/phone", phone_log(), **{"Idempotency-Key": "k1"}, **agent)
    assert response.status_code == 202
    assert lead_count() == 2


def test_malformed_key_is_400_and_a_missing_key_never_blocks(client):
    response = post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "has spaces!"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert post(client, "/v1/inquiries/web", web_form()).status_code == 202


def test_concurrent_duplicate_is_409(client):
    """While another request holds the key's lock, a duplicate gets 409 rather than a second lead."""
    import zlib

    lock_id = zlib.crc32(b"public\nform-race") - 2**31
    holding, release = threading.Event(), threading.Event()

    def hold_lock():
        with get_engine().begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    holding.wait(10)
    try:
        response = post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "form-race"})
    finally:
        release.set()
        holder.join()
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    assert lead_count() == 0
    assert (
        post(client, "/v1/inquiries/web", web_form(), **{"Idempotency-Key": "form-race"}).status_code == 202
    )


def test_phone_and_referral_need_the_right_role(client, make_key):
    assert post(client, "/v1/inquiries/phone", phone_log()).status_code == 401
    provider = make_key("provider", organization="Harbor Psychiatry")
    assert post(client, "/v1/inquiries/phone", phone_log(), **provider).status_code == 403
    assert post(client, "/v1/referrals", referral(), **make_key("call_center")).status_code == 403
    assert post(client, "/v1/referrals", referral(), **provider).status_code == 202
    bad = {"Authorization": "Bearer cr_deadbeef_not-a-real-key"}
    response = post(client, "/v1/inquiries/phone", phone_log(), **bad)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_revoked_key_stops_working(client, make_key):
    from shared.apikeys import revoke_api_key

    agent = make_key("call_center")
    prefix = agent["Authorization"].split("_")[1]
    with unit_of_work() as session:
        revoke_api_key(session, prefix)
    assert post(client, "/v1/inquiries/phone", phone_log(), **agent).status_code == 401


def test_phone_log_is_normalised(client, make_key):
    agent = make_key("call_center")
    response = post(client, "/v1/inquiries/phone", phone_log(), **agent)
    assert response.status_code == 202
    lead = client.get(response.json()["status_url"], headers=agent).json()  # the call they logged
    assert lead["channel"] == "phone" and lead["contact"]["phone"] == "+17145550142"


def test_lead_status_shows_pipeline_state_and_is_audited(client, make_key):
    accepted = post(client, "/v1/inquiries/web", web_form()).json()
    supervisor = make_key("supervisor")
    response = client.get(accepted["status_url"], headers=supervisor)
    assert response.status_code == 200
    lead = response.json()
    assert lead["status"] == "received" and lead["reference"] == accepted["reference"]
    assert lead["classification"] is None and lead["assignment"] is None and lead["notifications"] == []
    assert lead["contact"]["name"] == "Ana Example"
    with unit_of_work() as session:
        reads = session.exec(select(AuditEvent).where(AuditEvent.action == "lead.read")).all()
    assert len(reads) == 1 and reads[0].lead_id is not None


def test_provider_sees_only_its_own_referrals(client, make_key):
    harbor = make_key("provider", organization="Harbor Psychiatry")
    other = make_key("provider", organization="Elsewhere Medical")
    referral_url = post(client, "/v1/referrals", referral(), **harbor).json()["status_url"]
    web_url = post(client, "/v1/inquiries/web", web_form()).json()["status_url"]
    own = client.get(referral_url, headers=harbor)
    assert own.status_code == 200 and own.json()["contact"] is None  # status, not PHI
    assert client.get(referral_url, headers=other).status_code == 404
    assert client.get(web_url, headers=harbor).status_code == 404


def test_unknown_lead_and_bad_id_are_problems(client, make_key):
    headers = make_key("admin")
    assert client.get("/v1/leads/00000000-0000-0000-0000-000000000000", headers=headers).status_code == 404
    response = client.get("/v1/leads/not-a-uuid", headers=headers)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_referral_validation_names_nested_fields(client, make_key):
    body = referral(screeners={"phq9_item9": 7}, diagnoses=[{"code": "not-icd"}])
    response = post(client, "/v1/referrals", body, **make_key("provider", organization="Harbor Psychiatry"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"screeners.phq9_item9", "diagnoses.0.code"}
