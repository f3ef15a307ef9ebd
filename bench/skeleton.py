"""The baseline the end-to-end benchmarks measure CareRoute against: a bare skeleton of the same
hops, with nothing CareRoute adds (validation beyond a model, triage, routing rules, encryption,
rate limits, audit, idempotency, retries policy).

  api     plain FastAPI + uvicorn: one transaction inserting a lead, its contact row, an audit row
          and an outbox row (SQLAlchemy Core), NOTIFY; 202
  relay   LISTEN, then publish unpublished outbox rows to Celery (FOR UPDATE SKIP LOCKED)
  worker  three no-op Celery tasks in a chain; the third makes one HTTP post (the SendGrid stand-in)

Usage: python bench/skeleton.py api|relay|worker  (env: SKELETON_DB, SKELETON_BROKER, SKELETON_PORT,
SKELETON_SENDGRID, SKELETON_WORKERS, SKELETON_CONCURRENCY).
"""

import json
import os
import secrets
import select
import sys
import time
import urllib.request
import uuid
from datetime import UTC

import sqlalchemy as sa

DB = os.environ.get("SKELETON_DB", "")
metadata = sa.MetaData()
lead = sa.Table(
    "skel_lead", metadata,
    sa.Column("id", sa.Uuid, primary_key=True), sa.Column("reference", sa.String(16), unique=True),
    sa.Column("channel", sa.String(16)), sa.Column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip
contact = sa.Table(
    "skel_contact", metadata,
    sa.Column("lead_id", sa.Uuid, sa.ForeignKey("skel_lead.id"), primary_key=True),
    sa.Column("name", sa.Text), sa.Column("phone", sa.Text), sa.Column("email", sa.Text), sa.Column("message", sa.Text),
)  # fmt: skip
audit = sa.Table(
    "skel_audit", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True), sa.Column("lead_id", sa.Uuid),
    sa.Column("action", sa.String(32)), sa.Column("created_at", sa.DateTime(timezone=True)),
)  # fmt: skip
outbox = sa.Table(
    "skel_outbox", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True), sa.Column("payload", sa.JSON),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
)  # fmt: skip


def engine() -> sa.Engine:
    return sa.create_engine(DB, pool_size=10, max_overflow=10)


def create_tables() -> None:
    metadata.create_all(engine())


def build_app():
    from datetime import datetime

    from fastapi import FastAPI
    from pydantic import BaseModel

    class Inquiry(BaseModel):
        name: str
        phone: str | None = None
        email: str | None = None
        message: str
        consent_to_contact: bool = False

    app = FastAPI()
    db = engine()

    @app.post("/v1/inquiries/web", status_code=202)
    def post(inquiry: Inquiry) -> dict:
        lead_id, reference = uuid.uuid4(), "R-" + secrets.token_hex(4).upper()
        now = datetime.now(UTC)
        with db.begin() as conn:
            conn.execute(lead.insert().values(id=lead_id, reference=reference, channel="web", created_at=now))
            conn.execute(
                contact.insert().values(lead_id=lead_id, **inquiry.model_dump(exclude={"consent_to_contact"}))
            )
            conn.execute(audit.insert().values(lead_id=lead_id, action="lead.create", created_at=now))
            payload = {
                "lead_id": str(lead_id),
                "reference": reference,
                "crisis": "kill myself" in inquiry.message,
            }
            conn.execute(outbox.insert().values(payload=payload))
            conn.execute(sa.text("NOTIFY skel_outbox"))
        return {"lead_id": str(lead_id), "reference": reference, "status": "received"}

    return app


def celery_app():
    from celery import Celery

    app = Celery("skeleton", broker=os.environ.get("SKELETON_BROKER", "redis://127.0.0.1:6379/0"))
    app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True,
                    broker_transport_options={"queue_order_strategy": "priority",
                                              "global_keyprefix": os.environ.get("SKELETON_PREFIX", "skel:")})  # fmt: skip
    sendgrid = os.environ.get("SKELETON_SENDGRID", "")

    @app.task(name="skel.one")
    def one(payload: dict) -> None:
        app.send_task("skel.two", args=[payload], queue=_lane(payload, "two"))

    @app.task(name="skel.two")
    def two(payload: dict) -> None:
        app.send_task("skel.three", args=[payload], queue=_lane(payload, "three"))

    @app.task(name="skel.three")
    def three(payload: dict) -> None:
        body = json.dumps({"personalizations": [{"to": [{"email": "c@clinic.example"}]}],
                           "custom_args": {"lead_reference": payload["reference"]}}).encode()  # fmt: skip
        request = urllib.request.Request(f"{sendgrid}/v3/mail/send", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        urllib.request.urlopen(request, timeout=10).read()

    return app


def _lane(payload: dict, queue: str) -> str:
    return "skel_crisis" if payload.get("crisis") else f"skel_{queue}"


def relay() -> None:
    import psycopg

    app = celery_app()
    db = engine()
    listener = psycopg.connect(DB.replace("+psycopg", ""), autocommit=True)
    listener.execute("LISTEN skel_outbox")
    with app.connection_for_write() as connection:
        while True:
            with db.begin() as conn:
                rows = conn.execute(
                    sa.select(outbox.c.id, outbox.c.payload).where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id).limit(100).with_for_update(skip_locked=True)
                ).all()  # fmt: skip
                for row in rows:
                    app.send_task("skel.one", args=[row.payload], queue=_lane(row.payload, "one"),
                                  connection=connection)  # fmt: skip
                if rows:
                    conn.execute(outbox.update().where(outbox.c.id.in_([r.id for r in rows]))
                                 .values(published_at=sa.func.now()))  # fmt: skip
            if len(rows) < 100 and select.select([listener.fileno()], [], [], 1.0)[0]:
                for _ in listener.notifies(timeout=0):
                    pass


def main() -> None:
    role = sys.argv[1]
    if role == "api":
        import uvicorn

        create_tables()
        port = int(os.environ.get("SKELETON_PORT", "8100"))
        workers = int(os.environ.get("SKELETON_WORKERS", "1"))
        uvicorn.run("skeleton:build_app", factory=True, host="127.0.0.1", port=port, workers=workers,
                    http="h11", log_level="warning", access_log=False)  # fmt: skip
    elif role == "relay":
        while True:
            try:
                relay()
            except Exception as exc:  # the tables may not exist yet: wait for the api to create them
                print(type(exc).__name__, exc, file=sys.stderr)
                time.sleep(1)
    elif role == "worker":
        queues = os.environ.get("SKELETON_QUEUES", "skel_crisis,skel_three,skel_two,skel_one")
        celery_app().worker_main(["worker", "-Q", queues, "--concurrency",
                                  os.environ.get("SKELETON_CONCURRENCY", "2"), "--loglevel", "WARNING",
                                  "--without-gossip", "--without-mingle"])  # fmt: skip


if __name__ == "__main__":
    main()
