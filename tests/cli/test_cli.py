"""The `careroute` command as an operator uses it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from careroute.cli import app
from shared.apikeys import authenticate
from shared.db import unit_of_work

runner = CliRunner()


def test_apikey_create_prints_a_working_key_of_that_role(db):
    result = runner.invoke(app, ["apikey", "create", "--role", "admin", "--name", "ops"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    with unit_of_work() as session:
        principal = authenticate(session, key)
    assert principal is not None and principal.role == "admin"


def test_apikey_create_refuses_an_unknown_role(db):
    result = runner.invoke(app, ["apikey", "create", "--role", "wizard"])
    assert result.exit_code == 2 and "choose one of" in result.output


def test_apikey_revoke(db):
    key = runner.invoke(app, ["apikey", "create", "--role", "provider"]).output.strip().splitlines()[-1]
    prefix = key.split("_")[1]
    assert runner.invoke(app, ["apikey", "revoke", prefix]).exit_code == 0
    with unit_of_work() as session:
        assert authenticate(session, key) is None
    assert runner.invoke(app, ["apikey", "revoke", "00000000"]).exit_code == 1


def test_classify_reads_and_writes_json_lines():
    lines = (
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "1",
                        "text": "I have a plan to kill myself tonight, I have the pills",
                        "channel": "web",
                    }
                ),
                json.dumps({"id": "2", "text": "Do you take Aetna for the nasal spray?"}),
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["classify"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines() if line.startswith("{")]
    by_id = {row["id"]: row for row in rows}
    assert by_id["1"]["urgency"] == "crisis" and by_id["1"]["evidence"]
    assert by_id["2"]["urgency"] == "routine"
    assert {"insurance_question", "interested_spravato"} <= set(by_id["2"]["flags"])


def test_outbox_list_and_show(tmp_path, monkeypatch):
    from shared.settings import reset_settings_cache

    from services.notify.adapters.email.file_outbox import FileOutboxBackend
    from services.notify.domain.message import OutgoingEmail

    monkeypatch.setenv("CAREROUTE_VAR_DIR", str(tmp_path))
    reset_settings_cache()
    try:
        assert "no emails" in runner.invoke(app, ["outbox", "list"]).output
        FileOutboxBackend(tmp_path / "outbox").send(
            OutgoingEmail(
                notification_id="0b9f",
                to="dana@clinic.example",
                subject="[CareRoute] New lead R-ABC1234",
                text="Reference: R-ABC1234\n",
                html="<p>Reference: R-ABC1234</p>",
            )
        )
        listed = runner.invoke(app, ["outbox", "list"]).output
        assert "dana@clinic.example" in listed and "R-ABC1234" in listed
        email_id = listed.split()[0]
        shown = runner.invoke(app, ["outbox", "show", email_id])
        assert shown.exit_code == 0 and "Reference: R-ABC1234" in shown.output
        assert runner.invoke(app, ["outbox", "show", "nope"]).exit_code == 1
    finally:
        monkeypatch.undo()
        reset_settings_cache()
