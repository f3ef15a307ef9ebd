"""Suite-wide setup: a fresh migrated PostgreSQL database and an isolated Redis key space.

Environment is set in pytest_configure, before any CareRoute module reads its settings.
"""

from __future__ import annotations

import os
import uuid

import pytest

ADMIN_URL = os.environ.get(
    "CAREROUTE_TEST_DATABASE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CAREROUTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
_state: dict = {}


def _admin_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def pytest_configure(config):
    from tests.support.servers import MissingServer, ensure_postgres, ensure_redis

    try:
        admin_url, pg_server = ensure_postgres(ADMIN_URL)
        redis_url, redis_server = ensure_redis(REDIS_URL)
    except MissingServer as exc:
        pytest.exit(str(exc), returncode=3)
    _state.update(pg_server=pg_server, redis_server=redis_server, admin_url=admin_url)
    db_name = f"careroute_test_{RUN_ID}"
    with _admin_connect(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    base = admin_url.rsplit("/", 1)[0]
    var_dir = f"/tmp/careroute-test-{RUN_ID}"
    os.environ.update(
        CAREROUTE_ENV="test",
        CAREROUTE_DATABASE_URL=f"{base}/{db_name}",
        CAREROUTE_BROKER_URL=redis_url,
        CAREROUTE_BROKER_KEY_PREFIX=f"careroute-test-{RUN_ID}:",
        CAREROUTE_VAR_DIR=var_dir,
        CAREROUTE_EMAIL_BACKEND="outbox",
        CAREROUTE_LOG_FORMAT="json",
        CAREROUTE_SECRET_KEY="test-secret-key",
        # Every TestClient request comes from one address: the rate-limit tests set their own
        # limits (tests/shared/test_rate_limits.py); everything else must not be throttled.
        CAREROUTE_RATE_LIMIT_PUBLIC_FORM="100000/minute",
        CAREROUTE_RATE_LIMIT_API_KEY="100000/minute",
        CAREROUTE_RATE_LIMIT_SIGN_IN="100000/minute",
        CAREROUTE_RATE_LIMIT_FHIR_TOKEN="100000/minute",
    )
    _state["db_name"] = db_name
    from shared.migrate import upgrade

    upgrade()
    from tests.support.table_owners import GUARD

    GUARD.install()  # every test runs under the one-writer-per-table check


def pytest_unconfigure(config):
    from shared.db import dispose_engines

    dispose_engines()
    _forget_redis_keys()
    if "db_name" in _state:
        try:
            with _admin_connect(_state["admin_url"]) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{_state["db_name"]}" WITH (FORCE)')
        except Exception:
            pass
    for server in (_state.get("pg_server"), _state.get("redis_server")):
        if server is not None:
            server.close()


def _forget_redis_keys() -> None:
    """Leave the machine's Redis as we found it: drop this run's prefixed broker keys."""
    prefix = os.environ.get("CAREROUTE_BROKER_KEY_PREFIX")
    if not prefix or _state.get("redis_server") is not None:
        return
    try:
        import redis

        client = redis.Redis.from_url(os.environ["CAREROUTE_BROKER_URL"], socket_timeout=2)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    except Exception:
        pass  # best effort: the keys are namespaced and hold no data


def _wants_phi_canary(session, exitstatus) -> bool:
    """After the whole suite (`make test` runs pytest with no arguments), or when asked."""
    wanted = os.environ.get("CAREROUTE_PHI_CANARY", "")
    if wanted in ("0", "1"):
        return wanted == "1"
    return exitstatus in (0, 1) and not session.config.args or session.config.args == ["tests"]


def _phi_canary(session, exitstatus) -> None:
    """A canary lead through the whole system, then its details searched for everywhere
    (tests/support/canary.py). Any plaintext hit fails the run."""
    from pathlib import Path

    from tests.support.canary import run_canary

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    factory = getattr(session.config, "_tmp_path_factory", None)
    temp_roots = [factory.getbasetemp()] if factory is not None else []
    try:
        report = run_canary(Path(os.environ["CAREROUTE_VAR_DIR"]), temp_roots)
    except Exception as exc:  # the canary could not run: that fails the run too
        if reporter:
            reporter.write_line(f"PHI canary could not run: {type(exc).__name__}: {exc}", red=True)
        session.exitstatus = 1
        return
    if reporter:
        reporter.write_line(report.line(), red=bool(report.hits), green=not report.hits)
        for hit in report.hits[:50]:
            reporter.write_line(f"  {hit}", red=True)
    if report.hits:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.support.figures import recorded

    figures = recorded()
    if figures:
        terminalreporter.section("fault figures (docs/reliability.md)")
        for row in figures:
            name = row.pop("test")
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{k}={v}" for k, v in row.items()))


def pytest_sessionfinish(session, exitstatus):
    if _wants_phi_canary(session, exitstatus):
        _phi_canary(session, exitstatus)
    # CI must not skip: a skip there hides a missing service or an unfinished test.
    if os.environ.get("CAREROUTE_REQUIRE_ALL_TESTS") == "1":
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped:
            reporter.write_line(f"CAREROUTE_REQUIRE_ALL_TESTS: {len(skipped)} test(s) skipped", red=True)
            session.exitstatus = 1


@pytest.fixture(autouse=True)
def _one_writer_per_table():
    """Fails a test in which a service wrote a table another service owns (shared/schema OWNER)."""
    from tests.support.table_owners import GUARD

    GUARD.violations.clear()
    yield
    found = [str(v) for v in GUARD.violations]
    GUARD.violations.clear()
    assert not found, "writes to another service's table: " + "; ".join(sorted(set(found)))


TABLES = (
    "audit_event",
    "notification",
    "assignment",
    "classification",
    "idempotency_record",
    "lead_contact",
    "consent",
    "referral_attachment",
    "outbox_event",
    "inbox_claim",
    "heartbeat",
    "lead",
    "coordinator",
    "api_key",
    "delivery_event",
    "referral_update",
    # routing engine
    "routing_ruleset",
    "oncall_layer",
    "oncall_override",
    "sla_deadline",
    "escalation",
    "reviewer_copy",
    "routing_alert",
    "lead_state",
    # identity
    "staff_session",
    "login_attempt",
    "break_glass_grant",
    "staff_user",
    # FHIR intake and SMART clients
    "fhir_attachment",
    "fhir_identifier",
    "fhir_resource",
    "fhir_referral",
    "smart_assertion_jti",
    "smart_client",
)


@pytest.fixture
def db():
    """A clean database for one test (TRUNCATE is fast; the audit trigger guards rows, not truncate)."""
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    yield


@pytest.fixture
def client(db):
    from fastapi.testclient import TestClient

    from careroute.asgi import app

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_key(db):
    """Creates an API key with a role and returns its Authorization header."""
    from shared.apikeys import create_api_key
    from shared.db import unit_of_work
    from shared.schema import Role

    def make(role: str, organization: str | None = None) -> dict:
        with unit_of_work() as session:
            _row, key = create_api_key(session, Role(role), name=f"test {role}", organization=organization)
        return {"Authorization": f"Bearer {key}"}

    return make
