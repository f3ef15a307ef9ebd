"""0007_phi_encryption encrypts the PHI already stored — a lead's contact details and evidence, a
FHIR referral's ServiceRequest and PDF, a break-the-glass reason — and moves TOTP secrets sealed by
0005 onto the PHI keys; downgrade undoes all of it. On PostgreSQL and on SQLite (batch mode)."""

from __future__ import annotations

import base64
import json
import os
import uuid

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import text
from sqlmodel import select

from tests.shared.test_migrations import _id, scratch_database  # noqa: F401  (the fixture)

MESSAGE = "Years of depression; nothing has worked"
EVIDENCE = [{"label": "condition:depression", "text": "depression", "start": 9, "end": 19}]
SERVICE_REQUEST = {
    "resourceType": "ServiceRequest",
    "contained": [{"resourceType": "Patient", "name": [{"family": "Canarysson"}]}],
}
PDF = b"%PDF-1.4\x00\xff\xfe binary \x80 Canarysson"
REASON = "Patient Canarysson asked us to check their referral"


def _sealed_by_0005(secret: str) -> str:
    """A TOTP secret as 0005's secretbox sealed it (a key derived from CAREROUTE_SECRET_KEY)."""
    from shared.settings import get_settings

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"careroute.secretbox.v1").derive(
        get_settings().secret_key.get_secret_value().encode()
    )
    nonce = os.urandom(12)
    return (
        "v1."
        + base64.urlsafe_b64encode(
            nonce + AESGCM(key).encrypt(nonce, secret.encode(), b"totp-secret")
        ).decode()
    )


def _seed_at_0006(dialect: str, totp: str) -> dict:
    from shared.db import get_engine

    ids = {k: _id(uuid.uuid4(), dialect) for k in ("lead", "c", "u", "g", "r", "s", "t", "a")}
    sealed = _sealed_by_0005(totp)
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO lead (id, reference, channel, risk_flag, created_at)"
                " VALUES (:lead, 'R-MIGRATE1', 'web', false, CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(
            text(
                "INSERT INTO lead_contact (lead_id, name, phone, email, message, date_of_birth,"
                " preferred_contact_method, details)"
                " VALUES (:lead, 'Ana Example', '+19495550100', NULL, :message, '1980-01-02', 'phone', :details)"
            ),
            {**ids, "message": MESSAGE, "details": json.dumps({"veteran": True})},
        )
        conn.execute(
            text(
                "INSERT INTO classification (id, lead_id, conditions, urgency, veteran, flags, evidence,"
                " classifier_version, manual_triage, created_at)"
                " VALUES (:c, :lead, '[\"depression\"]', 'routine', false, '[]', :evidence, 'v', false,"
                " CURRENT_TIMESTAMP)"
            ),
            {**ids, "evidence": json.dumps(EVIDENCE)},
        )
        conn.execute(
            text(
                "INSERT INTO staff_user (id, email, display_name, role, password_hash, totp_secret, totp_pending,"
                " created_at, password_changed_at)"
                " VALUES (:u, 'pat@clinic.example', 'Pat', 'supervisor', 'x', :sealed, NULL, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            ),
            {**ids, "sealed": sealed},
        )
        conn.execute(
            text(
                "INSERT INTO break_glass_grant (id, lead_id, actor, reason, granted_at, expires_at)"
                " VALUES (:g, :lead, 'user:x', :reason, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {**ids, "reason": REASON},
        )
        conn.execute(
            text(
                "INSERT INTO fhir_referral (id, lead_id, organization, submitted_by, request_hash,"
                " service_request_id, task_id, created_at)"
                " VALUES (:r, :lead, 'Org', 'key:x', 'h', :s, :t, CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(
            text(
                "INSERT INTO fhir_resource (id, referral_id, resource_type, entry_index, body, created_at)"
                " VALUES (:s, :r, 'ServiceRequest', NULL, :body, CURRENT_TIMESTAMP)"
            ),
            {**ids, "body": json.dumps(SERVICE_REQUEST)},
        )
        conn.execute(
            text(
                "INSERT INTO fhir_attachment (id, referral_id, resource_id, content_type, size, sha256, data,"
                " created_at) VALUES (:a, :r, :s, 'application/pdf', :size, 'x', :pdf, CURRENT_TIMESTAMP)"
            ),
            {**ids, "pdf": PDF, "size": len(PDF)},
        )
    return {**ids, "sealed": sealed}


def _raw(sql: str):
    from shared.db import get_engine

    with get_engine().begin() as conn:
        return conn.execute(text(sql)).one()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_phi_migration_encrypts_existing_rows_and_decrypts_them_on_downgrade(scratch_database):  # noqa: F811
    from shared.db import unit_of_work
    from shared.migrate import downgrade, upgrade
    from shared.schema import (
        BreakGlassGrant,
        Classification,
        FhirAttachment,
        FhirResource,
        LeadContact,
        StaffUser,
    )

    totp = pyotp.random_base32()
    upgrade("0006")
    ids = _seed_at_0006(scratch_database, totp)

    upgrade("0007")
    name, phone, email, message, dob, method, details = _raw(
        "SELECT name, phone, email, message, date_of_birth, preferred_contact_method, details FROM lead_contact"
    )
    assert all(v.startswith("v1:dev:") for v in (name, phone, message, dob, details))
    assert email is None and method == "call"
    assert _raw("SELECT evidence FROM classification")[0].startswith("v1:dev:")
    stored = {
        "totp_secret": _raw("SELECT totp_secret FROM staff_user")[0],
        "reason": _raw("SELECT reason FROM break_glass_grant")[0],
        "body": _raw("SELECT body FROM fhir_resource")[0],
        "data": _raw("SELECT data FROM fhir_attachment")[0],
    }
    assert all(isinstance(v, str) and v.startswith("v1:dev:") for v in stored.values()), stored
    assert not any("Canarysson" in v or totp in v for v in stored.values())
    assert _raw("SELECT totp_pending FROM staff_user")[0] is None
    with unit_of_work() as session:
        contact = session.get(LeadContact, uuid.UUID(str(ids["lead"])))
        # One column (through its encrypted type): later migrations add columns 0007 has not.
        evidence = session.exec(
            select(Classification.evidence).where(Classification.id == uuid.UUID(str(ids["c"])))
        ).one()
        user = session.get(StaffUser, uuid.UUID(str(ids["u"])))
        grant = session.get(BreakGlassGrant, uuid.UUID(str(ids["g"])))
        resource = session.get(FhirResource, uuid.UUID(str(ids["s"])))
        attachment = session.get(FhirAttachment, uuid.UUID(str(ids["a"])))
    assert (contact.name, contact.message, contact.details) == ("Ana Example", MESSAGE, {"veteran": True})
    assert evidence == EVIDENCE
    assert user.totp_secret == totp  # the same second factor: nobody re-enrols
    assert (grant.reason, resource.body, attachment.data) == (REASON, SERVICE_REQUEST, PDF)

    downgrade("0006")
    name, message, method, details = _raw(
        "SELECT name, message, preferred_contact_method, details FROM lead_contact"
    )
    assert (name, message, method) == ("Ana Example", MESSAGE, "phone")
    assert _json(details) == {"veteran": True}
    assert _json(_raw("SELECT evidence FROM classification")[0]) == EVIDENCE
    assert _raw("SELECT reason FROM break_glass_grant")[0] == REASON
    assert _json(_raw("SELECT body FROM fhir_resource")[0]) == SERVICE_REQUEST
    assert bytes(_raw("SELECT data FROM fhir_attachment")[0]) == PDF
    resealed = _raw("SELECT totp_secret FROM staff_user")[0]
    assert resealed.startswith("v1.") and resealed != ids["sealed"]  # sealed again, 0005's way
    upgrade("0007")  # and forward again: the re-sealed secret opens
    with unit_of_work() as session:
        assert session.get(StaffUser, uuid.UUID(str(ids["u"]))).totp_secret == totp
    upgrade("head")
