"""The PHI canary, run once after the whole suite (tests/conftest.py, pytest_sessionfinish).

A lead full of recognisable, made-up details — built at run time, so no source line that a
traceback prints can contain them — goes the whole way through real processes: the API, the
relay, a Celery worker on Redis, the real sendgrid and twilio clients against their local
stand-ins, an SMS reply, and a bad request that carries the same details. Then every place PHI
must never reach is searched for them in plain text:

- every file the suite wrote: its var folder (email outbox, SMS outbox, worker/relay/beat logs) and
  pytest's temporary folders (every fault test's process logs), SQLite files included;
- everything this process logged while the canary ran (the API's logs);
- every Redis key of the run and its value;
- every email the SendGrid stand-in took and every SMS the Twilio stand-in took;
- the error bodies of the requests;
- every row of every PostgreSQL table, as the server stores it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class CanaryReport:
    hits: list[str] = field(default_factory=list)
    files: int = 0
    redis_keys: int = 0
    emails: int = 0
    sms: int = 0
    error_bodies: int = 0
    log_bytes: int = 0
    db_bytes: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        verdict = "no plaintext found" if not self.hits else f"{len(self.hits)} HIT(S)"
        return (
            f"PHI canary: {verdict} — searched {self.files} files, {self.log_bytes} bytes of API logs, "
            f"{self.redis_keys} Redis keys, {self.emails} emails, {self.sms} SMS, "
            f"{self.error_bodies} error bodies, {self.db_bytes} bytes of PostgreSQL rows "
            f"({self.seconds:.0f} s)"
        )


def make_canary() -> dict:
    token = secrets.token_hex(4)
    digits = f"{secrets.randbelow(100):02d}"
    letters = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(6))
    return {
        "name": f"Canary{letters.title()} Phiprobe{token}",
        "phone": f"+1 949 555 01{digits}",
        "email": f"canary.{token}@example.com",
        "message": f"Canary{letters.title()} here: I have a plan to kill myself tonight, "
        f"the {letters}zyx pills are ready. Please call.",
        "consent_to_contact": True,
    }


def needles(canary: dict) -> tuple[str, ...]:
    name_first, name_last = canary["name"].split()
    digits = "".join(ch for ch in canary["phone"] if ch.isdigit())
    word = canary["message"].split("the ", 1)[1].split()[0]
    return (name_first, name_last, canary["email"], digits[-10:], canary["phone"], word)


def _contains(blob: bytes, wanted: Iterable[str]) -> list[str]:
    return [n for n in wanted if n.encode() in blob or n.encode("utf-16-le") in blob]


def _scan_files(roots: Iterable[Path], wanted, report: CanaryReport) -> None:
    seen: set[Path] = set()
    for root in roots:
        if not root or not Path(root).exists():
            continue
        for path in Path(root).rglob("*"):
            try:
                if not path.is_file() or path in seen or path.stat().st_size > MAX_FILE_BYTES:
                    continue
                seen.add(path)
                data = path.read_bytes()
            except OSError:
                continue
            report.files += 1
            report.hits += [f"file {path}: {n[:3]}…" for n in _contains(data, wanted)]


def _scan_redis(url: str, prefix: str, wanted, report: CanaryReport) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    for key in client.scan_iter(match=f"{prefix}*"):
        report.redis_keys += 1
        kind = client.type(key).decode()
        if kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "hash":
            values = [b for kv in client.hgetall(key).items() for b in kv]
        elif kind == "zset":
            values = client.zrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "string":
            values = [client.get(key) or b""]
        else:
            values = []
        blob = key + b" " + b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in values)
        report.hits += [f"redis {key[-40:]!r}: {n[:3]}…" for n in _contains(blob, wanted)]


class _LogTap:
    """Everything this process logs while the canary runs, through the app's own formatter, into
    a file instead of the terminal. Opened after the app started (its startup configures logging)."""

    def __init__(self, path: Path) -> None:
        root = logging.getLogger()
        self.handler = logging.FileHandler(path, encoding="utf-8")
        formatter = next((h.formatter for h in root.handlers if h.formatter), None)
        if formatter:
            self.handler.setFormatter(formatter)
        self.previous = (root.level, list(root.handlers))
        root.handlers[:] = [self.handler]
        root.setLevel(logging.DEBUG)  # the check must hold at the chattiest level too

    def close(self) -> None:
        root = logging.getLogger()
        root.setLevel(self.previous[0])
        root.handlers[:] = self.previous[1]
        self.handler.close()


def run_canary(var_dir: Path, temp_roots: list[Path]) -> CanaryReport:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from shared.apikeys import create_api_key
    from shared.db import get_engine, unit_of_work
    from shared.schema import LeadState, Notification, Role
    from shared.settings import get_settings, reset_settings_cache
    from tests.conftest import TABLES
    from tests.factories import make_coordinator
    from tests.support.fake_sendgrid import FakeSendGrid
    from tests.support.fake_twilio import FakeTwilio, signed_form_post
    from tests.support.phi import raw_database_text
    from tests.support.pipeline import Pipeline
    from tests.support.servers import wait_for

    from services.notify.adapters.email import reset_email_backend
    from services.notify.adapters.sms import reset_sms_backend

    started = time.monotonic()
    report = CanaryReport()
    canary = make_canary()
    wanted = needles(canary)
    work = var_dir / "phi-canary"
    work.mkdir(parents=True, exist_ok=True)
    with get_engine().begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    make_coordinator(
        name="Oni Canarywatch",
        email="oncall@clinic.example",
        specialties=["depression"],
        on_call=True,
        pager_phone="+19495550142",
    )
    with unit_of_work() as session:
        _row, key = create_api_key(session, Role.supervisor, name="canary supervisor")
    saved = {k: os.environ.get(k) for k in ("CAREROUTE_EMAIL_BACKEND", "CAREROUTE_SMS_BACKEND")}
    tap = None
    bodies: list[bytes] = []
    try:
        with FakeSendGrid() as sendgrid, FakeTwilio() as twilio:
            env = {
                "CAREROUTE_EMAIL_BACKEND": "sendgrid",
                "CAREROUTE_SENDGRID_API_KEY": sendgrid.api_key,
                "CAREROUTE_SENDGRID_HOST": sendgrid.url,
                "CAREROUTE_SENDGRID_TIMEOUT_SECONDS": "2",
                "CAREROUTE_LOG_LEVEL": "DEBUG",
                **twilio.env(),
            }
            os.environ.update(env)
            reset_settings_cache()
            reset_email_backend()
            reset_sms_backend()
            with TestClient(_app()) as client, Pipeline(work, env) as pipeline:
                tap = _LogTap(work / "api.log")
                posted = client.post(
                    "/v1/inquiries/web",
                    content=json.dumps(canary),
                    headers={"content-type": "application/json"},
                )
                bodies.append(posted.content)
                assert posted.status_code == 202, posted.status_code
                lead_id = posted.json()["lead_id"]
                # The same details in requests that fail: the errors must not echo them.
                for broken in (
                    {**canary, "email": canary["name"] + "@", "phone": canary["message"][:40]},
                    {**canary, "consent_to_contact": canary["name"]},
                    {**canary, "language": canary["email"]},
                ):
                    bad = client.post(
                        "/v1/inquiries/web",
                        content=json.dumps(broken),
                        headers={"content-type": "application/json"},
                    )
                    bodies.append(bad.content)
                wait_for(
                    lambda: _status(LeadState, lead_id) == "notified",
                    120,
                    interval=0.2,
                    what="canary notified",
                )
                twilio.wait_for_accepted(1, timeout=60)
                [page] = _pages(Notification)
                reply = signed_form_post(
                    client,
                    "/v1/webhooks/twilio/sms",
                    {"From": page.recipient, "Body": f"ok {page.ack_code}"},
                    auth_token=twilio.auth_token,
                )
                bodies.append(reply.content)
                wait_for(
                    lambda: _status(LeadState, lead_id) == "acknowledged",
                    60,
                    interval=0.2,
                    what="canary acknowledged",
                )
                read = client.get(f"/v1/leads/{lead_id}", headers={"Authorization": f"Bearer {key}"})
                assert canary["email"] in read.text  # the canary is real: an authorised read shows it
                report.emails = len(sendgrid.accepted)
                report.sms = len(twilio.accepted)
                outgoing = json.dumps(sendgrid.accepted) + json.dumps(twilio.accepted)
                outgoing += "\n".join(sendgrid.raw_requests)
                report.hits += [f"provider payload: {n[:3]}…" for n in _contains(outgoing.encode(), wanted)]
                del pipeline
    finally:
        if tap is not None:
            tap.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings_cache()
        reset_email_backend()
        reset_sms_backend()
    report.error_bodies = len(bodies) - 1
    report.hits += [
        f"response body {i}: {n[:3]}…" for i, b in enumerate(bodies) for n in _contains(b, wanted)
    ]
    api_log = (work / "api.log").read_bytes()
    report.log_bytes = len(api_log)
    settings = get_settings()
    _scan_files([var_dir, *temp_roots], wanted, report)
    _scan_redis(settings.broker_url, settings.broker_key_prefix, wanted, report)
    rows = raw_database_text()
    report.db_bytes = len(rows.encode())
    report.hits += [f"database row: {n[:3]}…" for n in _contains(rows.encode(), wanted)]
    report.seconds = time.monotonic() - started
    return report


def _app():
    from careroute.asgi import app

    return app


def _status(model, lead_id) -> str:
    from shared.db import unit_of_work

    with unit_of_work() as session:
        state = session.get(model, lead_id)
        return state.status if state else "received"


def _pages(model) -> list:
    from sqlmodel import select

    from shared.db import unit_of_work

    with unit_of_work() as session:
        return list(session.exec(select(model).where(model.channel == "sms")).all())
