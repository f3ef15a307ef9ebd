"""0006_fhir creates intake's FHIR tables and the SMART client tables, and drops them again, on
PostgreSQL and on SQLite."""

from __future__ import annotations

import uuid

from sqlalchemy import inspect, text

from tests.shared.test_migrations import _id, scratch_database  # noqa: F401  (the fixture)

TABLES = {
    "fhir_referral",
    "fhir_resource",
    "fhir_identifier",
    "fhir_attachment",
    "smart_client",
    "smart_assertion_jti",
}


def test_fhir_migration_upgrades_with_rows_and_downgrades(scratch_database):  # noqa: F811
    from shared.db import get_engine
    from shared.migrate import downgrade, upgrade

    upgrade("0005")
    upgrade("0006")
    engine = get_engine()
    assert set(inspect(engine).get_table_names()) >= TABLES
    lead, referral = uuid.uuid4(), uuid.uuid4()
    ids = {
        k: _id(v, scratch_database)
        for k, v in {
            "l": lead,
            "r": referral,
            "s": uuid.uuid4(),
            "t": uuid.uuid4(),
            "a": uuid.uuid4(),
        }.items()
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO lead (id, reference, channel, risk_flag, created_at) VALUES (:l, 'R-MIG0006', 'referral', false, CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(
            text(
                "INSERT INTO fhir_referral (id, lead_id, organization, submitted_by, request_hash, service_request_id, task_id, created_at)"
                " VALUES (:r, :l, 'Org', 'key:x', 'h', :s, :t, CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(
            text(
                "INSERT INTO fhir_attachment (id, referral_id, resource_id, content_type, size, sha256, data, created_at)"
                " VALUES (:a, :r, :s, 'application/pdf', 5, 'x', :pdf, CURRENT_TIMESTAMP)"
            ),
            {**ids, "pdf": b"%PDF-"},
        )
        assert conn.execute(text("SELECT data FROM fhir_attachment")).scalar_one() == b"%PDF-"
    downgrade("0005")
    assert not TABLES & set(inspect(get_engine()).get_table_names())
    upgrade("head")
