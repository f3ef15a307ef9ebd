"""Break-the-glass (an admin's audited, alerted, time-limited read of one lead) and the audit
review: the API, its pages and filters, and the exports (API and CLI)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlmodel import select
from typer.testing import CliRunner

from careroute.cli import app as cli
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import BreakGlassGrant, OutboxEvent
from tests.console.world import build_world, client_for

REASON = "Patient complaint escalated to compliance, ticket 4411"


def _post(client, headers, url, body):
    return client.post(url, content=json.dumps(body), headers={**headers, "content-type": "application/json"})


def test_break_glass_grants_a_limited_audited_read_and_alerts_a_supervisor(db):
    from careroute.asgi import app

    world = build_world()
    lead = world.theirs()
    admin = world.caller("admin", "session")
    client, headers = client_for(app, admin)
    assert client.get(f"/v1/leads/{lead.id}", headers=headers).status_code == 404
    short = _post(client, headers, f"/v1/leads/{lead.id}/break-glass", {"reason": "because"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
    granted = _post(client, headers, f"/v1/leads/{lead.id}/break-glass", {"reason": REASON})
    assert granted.status_code == 201
    read = client.get(f"/v1/leads/{lead.id}", headers=headers)
    assert read.status_code == 200 and read.json()["contact"]["name"] == "Casey Patient"
    # Another lead stays closed, and so does this one for another admin.
    assert client.get(f"/v1/leads/{world.theirs().id}", headers=headers).status_code == 404
    other_client, other = client_for(app, world.caller("admin", "key"))
    assert other_client.get(f"/v1/leads/{lead.id}", headers=other).status_code == 404
    with unit_of_work() as db_:
        [alert] = [r.payload for r in db_.exec(select(OutboxEvent)).all() if r.event_type == "alert.raised"]
    assert alert["kind"] == "break_glass" and alert["lead_id"] == str(lead.id)
    assert REASON not in json.dumps(alert)  # the event carries codes only
    # Supervisors see the grant, its reason and the reads under it in the audit.
    sup_client, sup = client_for(app, world.caller("supervisor", "key"))
    entries = sup_client.get("/v1/audit", params={"lead_id": str(lead.id)}, headers=sup).json()["items"]
    glass = next(e for e in entries if e["action"] == "lead.break_glass")
    assert glass["reason"] == REASON and glass["actor"] == f"user:{admin.user.id}"
    assert [e["via"] for e in entries if e["action"] == "lead.read"] == ["break_glass"]
    # When the grant runs out (CAREROUTE_BREAK_GLASS_SECONDS), so does the read.
    with unit_of_work() as db_:
        row = db_.exec(select(BreakGlassGrant)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        db_.add(row)
    assert client.get(f"/v1/leads/{lead.id}", headers=headers).status_code == 404


def test_notify_emails_the_break_glass_alert_to_supervisors_without_phi(db):
    from services.notify.domain.compose import ALERT_LABELS

    assert "break-the-glass" in ALERT_LABELS["break_glass"]


def test_audit_api_filters_and_pages_and_export_streams_jsonl_and_csv(db):
    from careroute.asgi import app

    world = build_world()
    leads = [world.lead(world.dana) for _ in range(3)]
    dana_client, dana = client_for(app, world.caller("coordinator", "key"))
    for lead in leads:
        assert dana_client.get(f"/v1/leads/{lead.id}", headers=dana).status_code == 200
    client, sup = client_for(app, world.caller("supervisor", "key"))
    actor = f"key:{world.caller('coordinator', 'key').key_id}"
    first = client.get("/v1/audit", params={"actor": actor, "limit": 2}, headers=sup).json()
    assert [e["lead_id"] for e in first["items"]] == [str(leads[2].id), str(leads[1].id)]  # newest first
    second = client.get(first["next"], headers=sup).json()
    assert [e["lead_id"] for e in second["items"]] == [str(leads[0].id)] and second["next"] is None
    assert all(e["via"] == "api_key" and e["client_ip"] == "testclient" for e in first["items"])
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert client.get("/v1/audit", params={"since": future}, headers=sup).json()["items"] == []

    jsonl = client.get("/v1/audit/export", params={"actor": actor}, headers=sup)
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["lead_id"] for r in rows] == [str(lead.id) for lead in leads]  # oldest first
    text = client.get("/v1/audit/export", params={"actor": actor, "format": "csv"}, headers=sup).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 3 and table[0]["action"] == "lead.read" and table[0]["via"] == "api_key"
    assert "Casey" not in jsonl.text + text  # the audit holds no PHI


def test_careroute_audit_export_writes_the_same_entries(db, tmp_path):
    world = build_world()
    lead = world.lead(world.dana)
    from careroute.asgi import app

    dana_client, dana = client_for(app, world.caller("coordinator", "session"))
    dana_client.get(f"/v1/leads/{lead.id}", headers=dana)
    out = tmp_path / "audit.csv"
    result = CliRunner().invoke(
        cli, ["audit", "export", "--lead", str(lead.id), "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(out.open()))
    assert [(r["action"], r["via"]) for r in table] == [("lead.read", "session")]
    jsonl = CliRunner().invoke(cli, ["audit", "export", "--lead", str(lead.id)])
    assert json.loads(jsonl.output.splitlines()[0])["lead_id"] == str(lead.id)
