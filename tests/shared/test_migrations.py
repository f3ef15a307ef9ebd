"""Migrations move data both ways, on PostgreSQL and on SQLite (batch mode): 0004_table_owners and
0005_identity."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

ROUTED = "routed"


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_database(request, monkeypatch, tmp_path):
    """A database of its own for one test; the suite's database comes back after."""
    from shared.db import dispose_engines
    from shared.settings import get_settings, reset_settings_cache
    from tests.conftest import _admin_connect, _state

    name = f"careroute_migrate_{uuid.uuid4().hex[:8]}"
    if request.param == "postgresql":
        with _admin_connect(_state["admin_url"]) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = get_settings().database_url.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'careroute.db'}"
    monkeypatch.setenv("CAREROUTE_DATABASE_URL", url)
    reset_settings_cache()
    yield request.param
    dispose_engines()
    monkeypatch.undo()
    reset_settings_cache()
    if request.param == "postgresql":
        with _admin_connect(_state["admin_url"]) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _id(value: uuid.UUID, dialect: str):
    return value.hex if dialect == "sqlite" else value  # SQLite stores a UUID as 32 hex characters


def _seed_at_0003(dialect: str, coordinator: uuid.UUID) -> None:
    """A coordinator with a bound key, a routed lead and a received one, as 0003 stored them."""
    from shared.db import get_engine

    ids = {
        "c": _id(coordinator, dialect),
        "k": _id(uuid.uuid4(), dialect),
        "routed": _id(uuid.uuid4(), dialect),
        "received": _id(uuid.uuid4(), dialect),
    }
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coordinator (id, name, email, specialties, programs, languages, timezone, on_call, active,"
                " max_open_leads, created_at) VALUES (:c, 'Sam', 'sam@clinic.example', '[]', '[]', '[]', 'UTC',"
                " false, true, 5, CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(
            text(
                "INSERT INTO api_key (id, prefix, key_hash, role, name, created_at)"
                " VALUES (:k, 'abcd1234', 'x', 'coordinator', '', CURRENT_TIMESTAMP)"
            ),
            ids,
        )
        conn.execute(text("INSERT INTO coordinator_key (api_key_id, coordinator_id) VALUES (:k, :c)"), ids)
        for status, owner in ((ROUTED, ":c"), ("received", "NULL")):
            conn.execute(
                text(
                    "INSERT INTO lead (id, reference, channel, status, risk_flag, urgency, coordinator_id,"
                    " classify_attempts, dispatch_count, escalation_step, created_at, status_changed_at)"
                    f" VALUES (:{status}, '{status}', 'web', '{status}', false, 'urgent', {owner}, 1, 0, 0,"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                ids,
            )


def test_table_owners_migration_moves_routing_state_and_key_bindings_and_back(scratch_database):
    from shared.db import get_engine
    from shared.migrate import downgrade, upgrade

    coordinator = uuid.uuid4()
    upgrade("0003")
    _seed_at_0003(scratch_database, coordinator)

    upgrade("0004")
    with get_engine().begin() as conn:
        states = dict(conn.execute(text("SELECT status, coordinator_id FROM lead_state")).all())
        assert set(states) == {ROUTED, "received"}
        assert str(states[ROUTED]).replace("-", "") == coordinator.hex
        columns = list(conn.execute(text("SELECT * FROM lead")).keys())
        assert "status" not in columns
        bound = conn.execute(text("SELECT coordinator_id FROM api_key")).scalar_one()
        assert str(bound).replace("-", "") == coordinator.hex

    downgrade("0003")
    with get_engine().begin() as conn:
        assert conn.execute(text("SELECT status FROM lead WHERE reference = 'routed'")).scalar_one() == ROUTED
        assert conn.execute(text("SELECT count(*) FROM coordinator_key")).scalar_one() == 1
    upgrade("head")


def test_identity_migration_adds_accounts_sessions_and_scopes_and_removes_them(scratch_database):
    from sqlalchemy import inspect

    from shared.db import get_engine
    from shared.migrate import downgrade, upgrade

    upgrade("0004")
    _seed_at_0004(scratch_database)
    upgrade("0005")
    engine = get_engine()
    tables = set(inspect(engine).get_table_names())
    assert {"staff_user", "staff_session", "login_attempt", "break_glass_grant"} <= tables
    with engine.begin() as conn:
        assert conn.execute(text("SELECT submitted_by_user_id FROM lead")).scalar_one() is None
        assert conn.execute(text("SELECT candidate_ids FROM lead_state")).scalar_one() is None
        conn.execute(
            text(
                "INSERT INTO staff_user (id, email, display_name, role, password_hash, created_at,"
                " password_changed_at) VALUES (:id, 'a@clinic.example', 'A', 'admin', 'x', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            ),
            {"id": _id(uuid.uuid4(), scratch_database)},
        )
    downgrade("0004")
    engine = get_engine()
    assert "staff_user" not in set(inspect(engine).get_table_names())
    columns = {c["name"] for c in inspect(engine).get_columns("lead")}
    assert "submitted_by_user_id" not in columns
    with engine.begin() as conn:
        assert conn.execute(text("SELECT status FROM lead_state")).scalar_one() == ROUTED  # data kept
    upgrade("head")


def _seed_at_0004(dialect: str) -> None:
    from shared.db import get_engine

    lead = _id(uuid.uuid4(), dialect)
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO lead (id, reference, channel, risk_flag, created_at)"
                " VALUES (:id, 'R-MIGRATE', 'web', false, CURRENT_TIMESTAMP)"
            ),
            {"id": lead},
        )
        conn.execute(
            text(
                "INSERT INTO lead_state (lead_id, status, classify_attempts, dispatch_count, status_changed_at,"
                " escalation_step) VALUES (:id, 'routed', 0, 0, CURRENT_TIMESTAMP, 0)"
            ),
            {"id": lead},
        )
