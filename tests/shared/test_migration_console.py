"""0010_console_notes creates the console's notes and call attempts (their text encrypted through
the ORM like every PHI column) and drops them again, on PostgreSQL and on SQLite."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tests.shared.test_migrations import scratch_database  # noqa: F401  (the fixture)

TABLES = {"lead_note", "call_attempt"}


def test_console_migration_upgrades_stores_encrypted_notes_and_downgrades(scratch_database):  # noqa: F811
    from shared.clock import utcnow
    from shared.db import get_engine, unit_of_work
    from shared.migrate import downgrade, upgrade
    from shared.schema import CallAttempt, Lead, LeadNote

    upgrade("head")  # the ORM models below are head's (later migrations add columns to `lead`)
    engine = get_engine()
    assert set(inspect(engine).get_table_names()) >= TABLES
    with unit_of_work() as db:
        lead = Lead(reference="R-MIGR0010", channel="web", created_at=utcnow())
        db.add(lead)
        db.flush()
        db.add(LeadNote(lead_id=lead.id, actor="user:x", author="Dana", body="call after 5pm"))
        db.add(CallAttempt(lead_id=lead.id, actor="user:x", author="Dana", outcome="no_answer", note=None))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT body FROM lead_note")).scalar_one()
    assert stored.startswith("v1:") and "5pm" not in stored
    downgrade("0007")
    assert not (set(inspect(get_engine()).get_table_names()) & TABLES)
