"""Readiness and deep health: database, broker, background loops, and the pipeline's oldest debt."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import col, func, select

from shared.canary import canary_status
from shared.clock import utcnow
from shared.db import get_engine, unit_of_work
from shared.schema import PIPELINE_STATUSES, Heartbeat, Lead, LeadState, LeadStatus
from shared.settings import get_settings


def check_database() -> str:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def check_broker() -> str:
    from shared.celery import get_celery

    try:
        with get_celery().connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=get_settings().broker_publish_timeout_seconds)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def deep_health() -> dict:
    settings = get_settings()
    now = utcnow()
    problems: list[str] = []
    with unit_of_work() as session:
        beats = {row.name: row.beat_at for row in session.exec(select(Heartbeat)).all()}
        # A lead routing has not touched yet has no state row: it is `received`.
        status = func.coalesce(LeadState.status, LeadStatus.received.value)
        oldest = session.exec(
            select(func.min(Lead.created_at))
            .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
            .where(status.in_([s.value for s in PIPELINE_STATUSES]), col(Lead.canary).is_(False))
        ).first()
        canary = canary_status(session, now, settings)
    # Each background loop beats when it runs; silence past a few intervals means it is dead.
    stale_after = {
        "relay": timedelta(seconds=60),
        "sweeper": timedelta(seconds=settings.sweep_interval_seconds * 4),
        "deadline_sweeper": timedelta(seconds=60),
        "notify-reconciler": timedelta(seconds=settings.notify_reconcile_interval_seconds * 4),
    }
    for name, limit in stale_after.items():
        beat_at = beats.get(name)
        if beat_at is None or now - beat_at > limit:
            problems.append(f"{name}_heartbeat_stale")
    oldest_age = (now - oldest).total_seconds() if oldest else 0.0
    if oldest_age > settings.stuck_other_seconds * 2:
        problems.append("lead_waiting_too_long")
    problems.extend(canary.problems)
    report = {
        "status": "ok" if not problems else "failing",
        "problems": problems,
        "oldest_unnotified_lead_seconds": round(oldest_age, 1),
        "heartbeats": {k: v.isoformat() for k, v in beats.items()},
        "database": check_database(),
        "broker": check_broker(),
    }
    if canary.enabled:
        report["canary"] = {
            "last_sent_at": canary.last_sent_at.isoformat() if canary.last_sent_at else None,
            "last_delivered_at": canary.last_delivered_at.isoformat() if canary.last_delivered_at else None,
            "last_round_trip_seconds": canary.last_round_trip_seconds,
        }
    return report
