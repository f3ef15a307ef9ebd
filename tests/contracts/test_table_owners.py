"""One writer per table: every table has an owner, the real pipeline keeps to it, and the check
that keeps it (tests/support/table_owners.py, on for the whole suite) does catch a stray write."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import SQLModel, select

from shared.db import unit_of_work
from shared.schema import OWNER, PLATFORM, OutboxEvent
from tests.factories import make_coordinator, web_form
from tests.support.table_owners import GUARD, SERVICES_DIR

SERVICES = {"intake", "routing", "notify", "console"}


def test_every_table_has_one_owner():
    tables = set(SQLModel.metadata.tables)
    assert tables == set(OWNER)
    assert set(OWNER.values()) <= SERVICES | {PLATFORM}


def test_the_pipeline_writes_only_its_own_tables(client):
    """Intake → classify → route → notify → routing hears the email went: each step under the guard."""
    from services.notify.tasks import send_notification
    from services.routing.tasks import classify_lead, record_notification_sent, route_lead

    make_coordinator(name="Sam", email="sam@clinic.example", specialties=["depression"])
    response = client.post(
        "/v1/inquiries/web", content=json.dumps(web_form()), headers={"content-type": "application/json"}
    )
    assert response.status_code == 202
    handlers = {
        "lead.received": classify_lead,
        "lead.classified": route_lead,
        "lead.routed": send_notification,
        "notification.sent": record_notification_sent,
    }
    handled: set[int] = set()
    for _ in range(5):
        with unit_of_work() as session:
            rows = [
                r
                for r in session.exec(select(OutboxEvent).order_by(OutboxEvent.id)).all()
                if r.id not in handled
            ]
        for row in rows:
            handled.add(row.id)
            if row.event_type in handlers:
                handlers[row.event_type](row.payload)
    assert {"lead.received", "lead.classified", "lead.routed", "notification.sent"} <= _event_types()
    assert GUARD.violations == []
    status = client.get(f"/v1/leads/{response.json()['lead_id']}", headers=_admin()).json()["status"]
    assert status == "notified"


def _event_types() -> set[str]:
    with unit_of_work() as session:
        return {r.event_type for r in session.exec(select(OutboxEvent)).all()}


def _admin() -> dict:
    from shared.apikeys import create_api_key
    from shared.schema import Role

    with unit_of_work() as session:
        _row, key = create_api_key(session, Role.supervisor)  # supervisors read every lead
    return {"Authorization": f"Bearer {key}"}


def _run_as(service: str, source: str) -> None:
    """Run `source` as if it were code in services/<service>/ (the guard reads file names)."""
    code = compile(source, str(Path(SERVICES_DIR) / service / "owner_probe.py"), "exec")
    exec(code, {})


def test_the_check_catches_an_orm_write_to_another_services_table(db):
    _run_as(
        "notify",
        """
from shared.db import unit_of_work
from shared.schema import Lead
with unit_of_work() as session:
    session.add(Lead(reference="R-PROBE01", channel="web"))
""",
    )
    assert [str(v) for v in GUARD.violations] == ["notify wrote lead (orm), which intake owns"]
    GUARD.violations.clear()


def test_the_check_catches_a_core_update_of_another_services_table(db):
    _run_as(
        "intake",
        """
from sqlalchemy import update
from shared.db import unit_of_work
from shared.schema import LeadState
with unit_of_work() as session:
    session.execute(update(LeadState).values(status="closed"))
""",
    )
    assert [str(v) for v in GUARD.violations] == ["intake wrote lead_state (sql), which routing owns"]
    GUARD.violations.clear()


def test_platform_tables_and_own_tables_pass(db):
    _run_as(
        "routing",
        """
from shared.db import unit_of_work
from shared.schema import AuditEvent, Coordinator
with unit_of_work() as session:
    session.add(Coordinator(name="Probe", email="probe@clinic.example"))
    session.add(AuditEvent(actor="probe", action="probe"))
""",
    )
    assert GUARD.violations == []
