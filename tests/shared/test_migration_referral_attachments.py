"""0011_referral_attachments creates the referral form's attachment table (file and name
encrypted through the ORM like every PHI column) and drops it again, on PostgreSQL and SQLite."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tests.shared.test_migrations import scratch_database  # noqa: F401  (the fixture)


def test_referral_attachment_migration_upgrades_stores_encrypted_pdfs_and_downgrades(scratch_database):  # noqa: F811
    from shared.clock import utcnow
    from shared.db import get_engine, unit_of_work
    from shared.migrate import downgrade, upgrade
    from shared.schema import Lead, ReferralAttachment

    # The ORM models are the newest schema, so rows go in at head; the downgrade to 0010 then passes
    # back through every later migration and 0011 itself.
    upgrade("head")
    engine = get_engine()
    assert "referral_attachment" in inspect(engine).get_table_names()
    with unit_of_work() as db:
        lead = Lead(reference="R-MIGR0011", channel="referral", created_at=utcnow())
        db.add(lead)
        db.flush()
        db.add(
            ReferralAttachment(
                lead_id=lead.id, filename="jordan.pdf", content_type="application/pdf", size=9, pages=1,
                sha256="0" * 64, data=b"%PDF-1.7\n",
            )
        )  # fmt: skip
    with engine.connect() as conn:
        data, name = conn.execute(text("SELECT data, filename FROM referral_attachment")).one()
    assert data.startswith("v1:") and name.startswith("v1:") and "jordan" not in name
    with unit_of_work() as db:
        assert db.query(ReferralAttachment).one().data == b"%PDF-1.7\n"
    downgrade("0010")
    assert "referral_attachment" not in inspect(get_engine()).get_table_names()
