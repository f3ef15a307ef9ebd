"""PHI is encrypted at rest: AES-256-GCM per value, bound to its column, under a named key; the
raw database (PostgreSQL rows, the SQLite file and its WAL) holds none of a canary's details — a
web lead's, a FHIR referral's ServiceRequest and PDF, a break-the-glass reason, a TOTP secret."""

from __future__ import annotations

import base64
import json
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlmodel import select

from shared.crypto import PhiCryptoError, decrypt_text, encrypt_text, key_id_of, keyring, parse_keys
from shared.db import unit_of_work
from shared.schema import Classification, FhirAttachment, FhirResource, LeadContact
from tests.factories import web_form
from tests.support.fhir import FHIR_JSON, PDF, referral_bundle
from tests.support.phi import find_plaintext, raw_database_text, sqlite_files_bytes

CANARY = {
    "name": "Orsolya Canarybright",
    "phone": "+1 949 555 0163",
    "email": "orsolya.canary@example.com",
    "message": "Orsolya writing. Kwazimodo depression for a decade, failed four medicines, "
    "and I keep thinking everyone would be better off without me.",
    "date_of_birth": "1981-02-17",
    "preferred_contact_time": "Evenings after Quorblat shift",
    "how_heard": "Flibbertine podcast",
}
CANARY_STRINGS = (
    "Orsolya",
    "Canarybright",
    "orsolya.canary",
    "5550163",
    "Kwazimodo",
    "better off without",
    "1981-02-17",
    "Quorblat",
    "Flibbertine",
)


# A FHIR referral's canaries: in the contained Patient, the ServiceRequest's note, and the PDF.
FHIR_PATIENT = ("Zebulonia", "Quillfeather")
FHIR_NOTE = "Snorkelwick trials failed; asking about esketamine"
PDF_MARK = b"Pdfcanarium discharge summary"
FHIR_CANARY_STRINGS = (*FHIR_PATIENT, "Snorkelwick", "Pdfcanarium")
HARBOR = "Harbor Psychiatry"


def fhir_canary_bundle() -> dict:
    bundle = referral_bundle(note=FHIR_NOTE)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["name"] = [{"given": [FHIR_PATIENT[0]], "family": FHIR_PATIENT[1]}]
        elif resource["resourceType"] == "DocumentReference":
            pdf = PDF + b"% " + PDF_MARK + b"\n"
            resource["content"][0]["attachment"]["data"] = base64.b64encode(pdf).decode()
    return bundle


def post_fhir_canary(client, key: dict) -> None:
    response = client.post("/fhir/r4", content=json.dumps(fhir_canary_bundle()), headers={**FHIR_JSON, **key})
    assert response.status_code == 200, response.text


def with_hex(needles: tuple[str, ...]) -> tuple[str, ...]:
    """The needles, and as PostgreSQL renders them inside a bytea (hex), so clear bytes are found too."""
    return (*needles, *(n.encode().hex() for n in needles))


def post_canary(client) -> str:
    response = client.post(
        "/v1/inquiries/web",
        content=json.dumps(web_form(**CANARY)),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 202, response.text
    return response.json()["lead_id"]


def test_a_value_round_trips_and_names_its_key():
    stored = encrypt_text("Ana Example", "lead_contact.name")
    assert stored.startswith("v1:dev:") and "Ana" not in stored
    assert key_id_of(stored) == "dev"
    assert decrypt_text(stored, "lead_contact.name") == "Ana Example"
    assert encrypt_text("Ana Example", "lead_contact.name") != stored  # a fresh nonce every time


def test_a_value_moved_to_another_column_or_tampered_with_does_not_decrypt():
    stored = encrypt_text("ana@example.com", "lead_contact.email")
    with pytest.raises(PhiCryptoError) as moved:
        decrypt_text(stored, "lead_contact.name")
    assert "ana@" not in str(moved.value) and stored not in str(moved.value)
    prefix, encoded = stored.rsplit(":", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[20] ^= 0x01  # one bit of the ciphertext
    with pytest.raises(PhiCryptoError):
        decrypt_text(f"{prefix}:{base64.b64encode(bytes(raw)).decode()}", "lead_contact.email")
    with pytest.raises(PhiCryptoError, match="not configured"):
        decrypt_text("v1:gone:" + stored.split(":", 2)[2], "lead_contact.email")


def test_key_lists_are_checked_without_echoing_keys():
    with pytest.raises(ValueError, match="32 bytes") as short:
        parse_keys("k1:c2hvcnQ=")
    assert "c2hvcnQ" not in str(short.value)
    with pytest.raises(ValueError, match="base64"):
        parse_keys("k1:not base64!")
    with pytest.raises(ValueError, match="twice"):
        parse_keys(f"k1:{'A' * 43}=,k1:{'B' * 43}=")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CAREROUTE_PHI_KEYS"),
        ({"CAREROUTE_PHI_KEYS": f"k1:{'A' * 43}="}, "CAREROUTE_PHI_ACTIVE_KEY_ID"),
        ({"CAREROUTE_PHI_KEYS": f"k1:{'A' * 43}=", "CAREROUTE_PHI_ACTIVE_KEY_ID": "k2"}, "must name a key"),
    ],
)
def test_production_refuses_to_start_without_real_keys(monkeypatch, env, message):
    from pydantic import ValidationError

    from shared.settings import Settings

    monkeypatch.setenv("CAREROUTE_ENV", "production")
    monkeypatch.setenv("CAREROUTE_SECRET_KEY", "a-real-production-secret")
    monkeypatch.setenv("CAREROUTE_DATABASE_URL", "postgresql+psycopg://u@db/careroute")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_production_never_gets_the_derived_development_key(monkeypatch):
    from shared.crypto import build_keyring
    from shared.settings import Settings

    monkeypatch.setenv("CAREROUTE_ENV", "production")
    monkeypatch.setenv("CAREROUTE_SECRET_KEY", "a-real-production-secret")
    monkeypatch.setenv("CAREROUTE_DATABASE_URL", "postgresql+psycopg://u@db/careroute")
    monkeypatch.setenv("CAREROUTE_PHI_KEYS", f"k1:{'A' * 43}=")
    monkeypatch.setenv("CAREROUTE_PHI_ACTIVE_KEY_ID", "k1")
    assert set(build_keyring(Settings()).keys) == {"k1"}


def test_postgres_rows_hold_no_canary_phi_after_intake_and_classification(client):
    from services.routing.tasks import classify_lead

    lead_id = post_canary(client)
    classify_lead(received_event())
    with unit_of_work() as session:  # the application reads it back as written
        contact = session.get(LeadContact, lead_id)
        classification = session.exec(select(Classification)).one()
    assert contact.name == CANARY["name"] and contact.message == CANARY["message"]
    assert any("Kwazimodo" in json.dumps(e) or "depression" in json.dumps(e) for e in classification.evidence)
    raw = raw_database_text()
    assert lead_id in raw and "v1:dev:" in raw  # the scan sees the stored rows
    assert find_plaintext(raw, CANARY_STRINGS) == []
    with unit_of_work() as session:
        stored = session.execute(text("SELECT name, message, details FROM lead_contact")).one()
        evidence = session.execute(text("SELECT evidence FROM classification")).scalar_one()
    assert all(value.startswith("v1:dev:") for value in (*stored, evidence))


def test_postgres_rows_hold_no_fhir_referral_break_glass_reason_or_totp_secret_in_clear(client, make_key):
    import pyotp

    from tests.support.auth import make_user

    post_fhir_canary(client, make_key("provider", organization=HARBOR))
    with unit_of_work() as session:  # the application reads them back as written
        [service_request] = session.exec(select(FhirResource).where(FhirResource.body.is_not(None))).all()
        attachment = session.exec(select(FhirAttachment)).one()
        lead_id = session.exec(select(LeadContact)).one().lead_id
    assert "Snorkelwick" in json.dumps(service_request.body) and PDF_MARK in attachment.data
    reason = f"{FHIR_PATIENT[0]} {FHIR_PATIENT[1]}'s family called: did the referral arrive?"
    granted = client.post(
        f"/v1/leads/{lead_id}/break-glass",
        content=json.dumps({"reason": reason}),
        headers={**make_key("admin"), "content-type": "application/json"},
    )
    assert granted.status_code == 201, granted.text
    secret = pyotp.random_base32()
    make_user("admin", totp_secret=secret)

    raw = raw_database_text()
    assert str(lead_id) in raw and "v1:dev:" in raw  # the scan sees the stored rows
    assert find_plaintext(raw, with_hex((*FHIR_CANARY_STRINGS, secret))) == []
    with unit_of_work() as session:
        stored = [
            session.execute(text("SELECT body FROM fhir_resource WHERE body IS NOT NULL")).scalar_one(),
            session.execute(text("SELECT data FROM fhir_attachment")).scalar_one(),
            session.execute(text("SELECT reason FROM break_glass_grant")).scalar_one(),
            session.execute(text("SELECT totp_secret FROM staff_user")).scalar_one(),
        ]
    assert all(isinstance(value, str) and value.startswith("v1:dev:") for value in stored)


def test_sqlite_file_and_wal_hold_no_canary_phi(tmp_path, monkeypatch):
    """The embedded default: a real SQLite file in WAL mode, read byte for byte while it is open."""
    from fastapi.testclient import TestClient

    from shared.db import dispose_engines
    from shared.migrate import upgrade
    from shared.settings import reset_settings_cache

    database = tmp_path / "careroute.db"
    monkeypatch.setenv("CAREROUTE_DATABASE_URL", f"sqlite:///{database}")
    reset_settings_cache()
    try:
        upgrade()
        from careroute.asgi import build_app
        from shared.apikeys import create_api_key
        from shared.schema import Role

        with unit_of_work() as session:
            _row, key = create_api_key(session, Role.provider, name="ehr", organization=HARBOR)
        with TestClient(build_app()) as client:
            lead_id = post_canary(client)
            post_fhir_canary(client, {"Authorization": f"Bearer {key}"})
        from services.routing.tasks import classify_lead

        classify_lead(received_event(lead_id))
        assert (tmp_path / "careroute.db-wal").exists()
        raw = sqlite_files_bytes(database)
        found = find_plaintext(raw, (*CANARY_STRINGS, *FHIR_CANARY_STRINGS))
        assert b"lead_contact.name" not in raw and b"v1:dev:" in raw  # the scan sees the stored rows
        with unit_of_work() as session:
            assert session.get(LeadContact, UUID(lead_id)).email == CANARY["email"]
    finally:
        dispose_engines()
        monkeypatch.undo()
        reset_settings_cache()
    assert found == []


def received_event(lead_id: str | None = None) -> dict:
    from shared.schema import OutboxEvent

    with unit_of_work() as session:
        rows = session.exec(select(OutboxEvent).where(OutboxEvent.event_type == "lead.received")).all()
    return next(r.payload for r in rows if lead_id is None or r.payload["lead_id"] == lead_id)


def test_the_development_keyring_has_one_derived_key():
    ring = keyring()
    assert ring.active_id == "dev" and set(ring.keys) == {"dev"}
