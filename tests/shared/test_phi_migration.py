"""0006_phi_encryption encrypts the PHI already stored, and decrypts it on downgrade, on
PostgreSQL and on SQLite (batch mode)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from tests.shared.test_migrations import _id, scratch_database  # noqa: F401  (the fixture)

MESSAGE = "Years of depression; nothing has worked"
EVIDENCE = [{"label": "condition:depression", "text": "depression", "start": 9, "end": 19}]


def _seed_at_0004(dialect: str) -> dict:
    from shared.db import get_engine

    ids = {"lead": _id(uuid.uuid4(), dialect), "c": _id(uuid.uuid4(), dialect)}
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
    return ids


def _raw(sql: str):
    from shared.db import get_engine

    with get_engine().begin() as conn:
        return conn.execute(text(sql)).one()


def test_phi_migration_encrypts_existing_rows_and_decrypts_them_on_downgrade(scratch_database):  # noqa: F811
    from shared.db import unit_of_work
    from shared.migrate import downgrade, upgrade
    from shared.schema import Classification, LeadContact

    upgrade("0004")
    ids = _seed_at_0004(scratch_database)

    upgrade("0006")
    name, phone, email, message, dob, method, details = _raw(
        "SELECT name, phone, email, message, date_of_birth, preferred_contact_method, details FROM lead_contact"
    )
    assert all(v.startswith("v1:dev:") for v in (name, phone, message, dob, details))
    assert email is None and method == "call"
    assert _raw("SELECT evidence FROM classification")[0].startswith("v1:dev:")
    with unit_of_work() as session:
        contact = session.get(LeadContact, uuid.UUID(str(ids["lead"])))
        classification = session.get(Classification, uuid.UUID(str(ids["c"])))
    assert (contact.name, contact.message, contact.details) == ("Ana Example", MESSAGE, {"veteran": True})
    assert classification.evidence == EVIDENCE

    downgrade("0004")
    name, message, method, details = _raw(
        "SELECT name, message, preferred_contact_method, details FROM lead_contact"
    )
    assert (name, message, method) == ("Ana Example", MESSAGE, "phone")
    assert (json.loads(details) if isinstance(details, str) else details) == {"veteran": True}
    evidence = _raw("SELECT evidence FROM classification")[0]
    assert (json.loads(evidence) if isinstance(evidence, str) else evidence) == EVIDENCE
    upgrade("head")
