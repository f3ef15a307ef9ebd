"""`careroute user create|reset|disable|list` and the demo accounts `make run` seeds."""

from __future__ import annotations

import stat

from typer.testing import CliRunner

from careroute.cli import app
from shared.auth import accounts
from shared.auth.passwords import verify_password
from shared.db import unit_of_work
from tests.factories import make_coordinator

runner = CliRunner()


def _password(output: str) -> str:
    return next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("password"))


def _user(email):
    with unit_of_work() as db:
        return accounts.by_email(db, email)


def test_user_create_prints_a_password_once_and_binds_the_directory_person(db):
    dana = make_coordinator(name="Dana Reyes", email="dana@clinic.example")
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "Dana@Clinic.example",
            "--role",
            "coordinator",
            "--coordinator",
            "dana@clinic.example",
        ],
    )
    assert result.exit_code == 0, result.output
    user = _user("dana@clinic.example")
    assert user.coordinator_id == dana.id and user.display_name == "Dana Reyes"
    assert verify_password(user.password_hash, _password(result.output))[0]
    assert (
        runner.invoke(
            app, ["user", "create", "--email", "x@clinic.example", "--role", "coordinator"]
        ).exit_code
        == 2
    )
    refused = runner.invoke(app, ["user", "create", "--email", "p@harbor.example", "--role", "provider"])
    assert refused.exit_code == 2 and "organization" in refused.output


def test_user_create_reads_the_password_from_stdin(db):
    result = runner.invoke(
        app,
        ["user", "create", "--email", "agent@clinic.example", "--role", "call_center", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0 and "password" not in result.output.replace("--password", "")
    assert verify_password(_user("agent@clinic.example").password_hash, "a long enough passphrase")[0]
    short = runner.invoke(
        app,
        ["user", "create", "--email", "b@clinic.example", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 2 and "at least 12" in short.output


def test_user_reset_disable_and_list(db):
    runner.invoke(app, ["user", "create", "--email", "admin@clinic.example", "--role", "admin"])
    with unit_of_work() as db_:
        user = accounts.by_email(db_, "admin@clinic.example")
        accounts.set_totp_secret(user, "JBSWY3DPEHPK3PXP")
        db_.add(user)
    reset = runner.invoke(app, ["user", "reset", "admin@clinic.example", "--reset-mfa"])
    assert (
        reset.exit_code == 0
        and verify_password(_user("admin@clinic.example").password_hash, _password(reset.output))[0]
    )
    assert _user("admin@clinic.example").totp_secret is None
    assert runner.invoke(app, ["user", "disable", "admin@clinic.example"]).exit_code == 0
    listed = runner.invoke(app, ["user", "list"]).output
    assert "admin@clinic.example" in listed and "disabled" in listed and "no-mfa" in listed
    assert runner.invoke(app, ["user", "reset", "nobody@clinic.example"]).exit_code == 2


def test_demo_accounts_one_per_role_written_owner_only(db, tmp_path):
    from careroute.seed import seed_demo, seed_demo_accounts

    seed_demo()
    file = tmp_path / "demo-accounts.txt"
    seeded = seed_demo_accounts(file)
    assert sorted(role for role, *_ in seeded) == [
        "admin",
        "call_center",
        "coordinator",
        "provider",
        "supervisor",
    ]
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    lines = [line.split() for line in file.read_text().splitlines()]
    assert all(len(parts) == 3 for parts in lines)
    by_role = {role: (email, password) for role, email, password in lines}
    for role, (email, password) in by_role.items():
        assert verify_password(_user(email).password_hash, password)[0], role
    dana = _user(by_role["coordinator"][0])
    assert dana.display_name == "Dana Reyes" and _user(by_role["supervisor"][0]).display_name == "Pat Kim"
    assert _user(by_role["provider"][0]).organization == "Harbor Psychiatry"
    assert all(secret is None for *_, secret in seeded)  # not in development: they enrol themselves
    assert seed_demo_accounts(file) == seeded  # a second `make run` shows the same passwords


def test_development_demo_supervisor_and_admin_carry_the_published_totp_secret(db, tmp_path, monkeypatch):
    import pyotp

    from careroute.seed import DEMO_TOTP_SECRETS, seed_demo, seed_demo_accounts
    from shared.settings import reset_settings_cache

    seed_demo()
    monkeypatch.setenv("CAREROUTE_ENV", "development")
    reset_settings_cache()
    try:
        seeded = seed_demo_accounts(tmp_path / "demo-accounts.txt")
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    secrets = {role: secret for role, _e, _p, secret in seeded if secret}
    assert secrets == {"supervisor": DEMO_TOTP_SECRETS["supervisor"], "admin": DEMO_TOTP_SECRETS["admin"]}
    pat = _user("pat@clinic.example")
    assert (
        accounts.totp_secret(pat) == secrets["supervisor"]
        and len(pyotp.TOTP(secrets["supervisor"]).now()) == 6
    )
