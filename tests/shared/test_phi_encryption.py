"""PHI is encrypted at rest: AES-256-GCM per value, bound to its column, under a named key; the
raw database (PostgreSQL rows, the SQLite file and its WAL) holds none of a canary's details."""

from __future__ import annotations

import base64
import json
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlmodel import select

from shared.crypto import PhiCryptoError, decrypt_text, encrypt_text, key_id_of, keyring, parse_keys
from shared.db import unit_of_work
from shared.schema import Classification, LeadContact
from tests.factories import web_form
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

        with TestClient(build_app()) as client:
            lead_id = post_canary(client)
        from services.routing.tasks import classify_lead

        classify_lead(received_event())
        assert (tmp_path / "careroute.db-wal").exists()
        raw = sqlite_files_bytes(database)
        found = find_plaintext(raw, CANARY_STRINGS)
        assert b"lead_contact.name" not in raw and b"v1:dev:" in raw  # the scan sees the stored rows
        with unit_of_work() as session:
            assert session.get(LeadContact, UUID(lead_id)).email == CANARY["email"]
    finally:
        dispose_engines()
        monkeypatch.undo()
        reset_settings_cache()
    assert found == []


def received_event() -> dict:
    from shared.schema import OutboxEvent

    with unit_of_work() as session:
        return (
            session.exec(select(OutboxEvent).where(OutboxEvent.event_type == "lead.received")).one().payload
        )


def test_the_development_keyring_has_one_derived_key():
    ring = keyring()
    assert ring.active_id == "dev" and set(ring.keys) == {"dev"}
