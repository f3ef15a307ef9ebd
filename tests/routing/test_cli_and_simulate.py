"""`careroute directory|rules|oncall` and `careroute simulate`, run through the real CLI."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from shared.db import unit_of_work
from shared.schema import ApiKey, Coordinator, OncallLayer, RoutingRuleset

runner = CliRunner()


@pytest.fixture(autouse=True)
def _logging_outside_the_runner():
    """The CLI configures logging inside CliRunner, bound to its (later closed) stderr: rebind after."""
    yield
    from shared.logging import configure_logging

    configure_logging("test", force=True)


def cli(*args):
    from careroute.cli import app

    return runner.invoke(app, list(args))


def test_simulate_the_demo_day_prints_load_sla_time_to_assignment_and_crisis_paths(demo_dir):
    result = cli(
        "simulate",
        "--directory",
        str(demo_dir / "clinic.yaml"),
        "--rules",
        str(demo_dir / "rules.yaml"),
        "--leads",
        str(demo_dir / "day.jsonl"),
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(
        "Simulated 27 leads from 2026-12-01 00:20 to 2026-12-01 23:10 (America/Los_Angeles)"
    )
    for heading in (
        "Load per coordinator",
        "SLA met (acknowledged by the deadline)",
        "Time to assignment (median / max)",
        "Crisis paths",
    ):
        assert heading in out
    # Lee is out of office all day, so gets nothing; every lead is assigned to someone.
    assert "  Lee Park                  0          0            0" in out
    assert "Never assigned" not in out
    # Crisis: straight to the on-call coordinator, any hour; the ladder when nobody acknowledges.
    assert (
        "C01 02:14: 02:14 rule crisis-on-call v1, on_call (pool) → Riley Chen; "
        "02:17 acknowledged by Riley Chen (3 min, in time)" in out
    )
    assert (
        "13:07 no acknowledgement: escalated to backup Sam Ortiz; 13:11 claimed and acknowledged by "
        "Sam Ortiz (9 min, LATE)" in out
    )
    assert "escalated to supervisor Pat Kim" in out and "crisis page repeated to Riley Chen (12 times)" in out
    assert "  crisis     1/3     33.3%" in out


def test_simulate_json_is_reproducible_and_a_rule_change_shows_up(demo_dir, tmp_path):
    args = (
        "simulate",
        "--directory",
        str(demo_dir / "clinic.yaml"),
        "--leads",
        str(demo_dir / "day.jsonl"),
        "--json",
    )
    first = json.loads(cli(*args, "--rules", str(demo_dir / "rules.yaml")).output)
    again = json.loads(cli(*args, "--rules", str(demo_dir / "rules.yaml")).output)
    assert first == again
    assert first["sla"]["all"]["total"] == 27 and first["unassigned"] == []
    assert first["holders"]["R07"] in ("Sam Ortiz", "Riley Chen")  # Harbor referral → referral desk
    changed = (
        (demo_dir / "rules.yaml")
        .read_text()
        .replace(
            "when: {channel: [referral], referring_practice: [Harbor Psychiatry]}",
            "when: {channel: [referral], referring_practice: [Nobody]}",
        )
    )
    (tmp_path / "rules.yaml").write_text(changed)
    second = json.loads(cli(*args, "--rules", str(tmp_path / "rules.yaml")).output)
    assert second["load"] != first["load"] or second["holders"] != first["holders"]


def test_simulate_reports_bad_lead_lines_with_line_numbers(demo_dir, tmp_path):
    leads = tmp_path / "day.jsonl"
    leads.write_text(
        '{"id": "A", "at": "2026-12-01T09:00:00-08:00", "urgency": "routine"}\n'
        '{"id": "B", "at": "2026-12-01T09:00:00", "urgency": "soon"}\nnot json\n'
    )
    result = cli("simulate", "--directory", str(demo_dir / "clinic.yaml"), "--leads", str(leads))
    assert result.exit_code == 2
    assert f"{leads}:2: at: give a UTC offset" in result.output
    assert f"{leads}:2: urgency:" in result.output and f"{leads}:3: (line): not valid JSON" in result.output


def test_directory_import_reports_line_and_field(db, tmp_path):
    bad = tmp_path / "clinic.yaml"
    bad.write_text("coordinators:\n  - name: Dana\n    email: not-an-email\n    capacity: {open: -1}\n")
    result = cli("directory", "import", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3: coordinators[0].email:" in result.output
    assert f"{bad}:4: coordinators[0].capacity.open:" in result.output


def test_directory_and_rules_round_trip_and_seed_demo(db, demo_dir, tmp_path):
    result = cli("seed-demo")
    assert result.exit_code == 0, result.output
    with unit_of_work() as session:
        emails = {c.email for c in session.exec(select(Coordinator)).all()}
        assert {"dana@clinic.example", "pat@clinic.example", "morgan@clinic.example"} <= emails
        assert len(session.exec(select(OncallLayer)).all()) == 2
        assert session.exec(select(RoutingRuleset)).one().version == 1
        bound = session.exec(select(ApiKey).where(ApiKey.coordinator_id.is_not(None))).all()
        assert len(bound) == 2  # the demo coordinator and supervisor keys act as someone
    exported = tmp_path / "export.yaml"
    assert cli("directory", "export", "--output", str(exported)).exit_code == 0
    reimport = cli("directory", "import", str(exported))
    assert reimport.exit_code == 0 and "created 0, updated 7" in reimport.output
    rules = cli("rules", "import", str(demo_dir / "rules.yaml"))
    assert rules.exit_code == 0 and "rules version 2" in rules.output and "default v1" in rules.output
    assert "crisis-on-call" in cli("rules", "export").output


def test_past_leads_export_replays_in_the_simulator(db, demo_dir, tmp_path):
    from tests.factories import make_classified_lead, make_coordinator

    from services.routing.tasks.route import route_once

    make_coordinator(name="Sam Ortiz", email="sam@clinic.example")
    for urgency in ("routine", "crisis"):
        route_once(make_classified_lead(urgency=urgency, phone="+19495550100", email="ana@example.com"))
    month = tmp_path / "month.jsonl"
    result = cli("leads", "export", "--days", "30", "--output", str(month))
    assert result.exit_code == 0 and "2 leads written" in result.output
    text = month.read_text()
    assert "ana@example.com" not in text and "9495550100" not in text  # opaque keys only
    lines = [json.loads(line) for line in text.splitlines()]
    # The repeat contact (crisis) raised the first lead's urgency: both replay as crisis.
    assert [line["urgency"] for line in lines] == ["crisis", "crisis"]
    assert lines[0]["contact"] == lines[1]["contact"]
    replay = cli("simulate", "--directory", str(demo_dir / "clinic.yaml"), "--leads", str(month))
    assert replay.exit_code == 0 and "Simulated 2 leads" in replay.output
