"""One inquiry, the whole way: API → outbox → relay → Celery worker (classify, route, notify) →
the real sendgrid client → a local server speaking /v3/mail/send. Real processes, no eager mode."""

from __future__ import annotations

import json

import pytest
import redis
from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import AuditEvent, LeadState
from shared.settings import get_settings
from tests.factories import make_coordinator
from tests.support.fake_sendgrid import FakeSendGrid
from tests.support.phi import find_plaintext, raw_database_text
from tests.support.pipeline import Pipeline
from tests.support.servers import wait_for

pytestmark = pytest.mark.e2e

CANARY = {
    "name": "Quillon Testcanary",
    "phone": "+1 949 555 0187",
    "email": "quillon.canary@example.com",
    "message": "Quillon here. Zyxwvut depression for years, failed sertraline and bupropion, "
    "and lately I wish I could disappear. Is ketamine an option?",
    "consent_to_contact": True,
    "date_of_birth": "1979-06-21",
}
CANARY_STRINGS = ("Quillon", "Testcanary", "quillon.canary", "5550187", "555 0187", "Zyxwvut", "1979-06-21")


def sendgrid_env(fake: FakeSendGrid) -> dict[str, str]:
    return {
        "CAREROUTE_EMAIL_BACKEND": "sendgrid",
        "CAREROUTE_SENDGRID_API_KEY": fake.api_key,
        "CAREROUTE_SENDGRID_HOST": fake.url,
        "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
        "CAREROUTE_LOG_LEVEL": "DEBUG",  # the PHI check must hold at the chattiest level too
    }


def lead_status(lead_id: str) -> str:
    with unit_of_work() as session:
        state = session.get(LeadState, lead_id)
        return state.status if state else "received"


def test_web_inquiry_reaches_the_right_coordinator_by_email_with_no_phi(client, tmp_path, capfd):
    make_coordinator(name="Lee Park", email="lee@clinic.example", specialties=["ocd"])
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    with FakeSendGrid() as fake, Pipeline(tmp_path, sendgrid_env(fake)) as pipeline:
        response = client.post(
            "/v1/inquiries/web", content=json.dumps(CANARY), headers={"content-type": "application/json"}
        )
        assert response.status_code == 202
        lead_id = response.json()["lead_id"]
        wait_for(lambda: lead_status(lead_id) == "notified", 90, what="lead notified")
        [mail] = fake.wait_for_accepted(1)
        logs = pipeline.read_logs()

    admin = client.get(f"/v1/leads/{lead_id}", headers=_admin_key()).json()
    assert admin["status"] == "notified"
    assert admin["classification"]["urgency"] == "urgent"  # passive ideation
    assert "depression" in admin["classification"]["conditions"]
    assert admin["assignment"]["coordinator_name"] == "Sam Ortiz"
    assert [n["status"] for n in admin["notifications"]] == ["sent"]
    assert mail["personalizations"][0]["to"][0]["email"] == "sam@clinic.example"

    # No PHI in the email, the worker/relay logs, the API's logs, or the broker.
    outgoing = json.dumps(mail)
    api_logs = capfd.readouterr().err
    assert "lead_classified" in logs and "email_sent" in logs and lead_id in logs
    for value in CANARY_STRINGS:
        assert value not in outgoing, value
        assert value not in logs, value
        assert value not in api_logs, value
    for word in ("depression", "ketamine", "disappear", "sertraline"):
        assert word not in outgoing.lower()
    assert response.json()["reference"] in outgoing
    assert_redis_holds_no_phi()
    # At rest too: every row of every table, as PostgreSQL stores it (PHI columns are encrypted).
    raw_rows = raw_database_text()
    assert lead_id in raw_rows
    assert find_plaintext(raw_rows, CANARY_STRINGS) == []
    with unit_of_work() as session:
        actions = [a.action for a in session.exec(select(AuditEvent).where(AuditEvent.lead_id == lead_id))]
    assert {"lead.create", "lead.classify", "lead.route", "lead.notify"} <= set(actions)


def _admin_key() -> dict:
    from shared.apikeys import create_api_key
    from shared.schema import Role

    with unit_of_work() as session:
        _row, key = create_api_key(session, Role.supervisor, name="e2e supervisor")
    return {"Authorization": f"Bearer {key}"}


def assert_redis_holds_no_phi() -> None:
    settings = get_settings()
    client = redis.Redis.from_url(settings.broker_url)
    for key in client.scan_iter(match=f"{settings.broker_key_prefix}*"):
        kind = client.type(key).decode()
        if kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = list(client.hgetall(key).values())
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        else:
            values = [client.get(key) or b""]
        blob = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in values)
        for value in CANARY_STRINGS:
            assert value.encode() not in blob
