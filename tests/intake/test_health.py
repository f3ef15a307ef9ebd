"""Health endpoints: readiness checks real dependencies; deep health sees stale loops and old debt."""

from __future__ import annotations

from datetime import timedelta

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import Heartbeat, Lead

LOOPS = ("relay", "sweeper", "deadline_sweeper", "notify-reconciler")


def beat_all() -> None:
    with unit_of_work() as session:
        for name in LOOPS:
            session.add(Heartbeat(name=name))


def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_deep_health_fails_without_heartbeats_and_passes_with_fresh_ones(client):
    failing = client.get("/healthz/deep")
    assert failing.status_code == 503
    assert set(failing.json()["problems"]) == {f"{name}_heartbeat_stale" for name in LOOPS}
    beat_all()
    healthy = client.get("/healthz/deep")
    assert healthy.status_code == 200 and healthy.json()["problems"] == []


def test_deep_health_flags_a_lead_waiting_too_long(client):
    beat_all()
    with unit_of_work() as session:
        session.add(Lead(reference="R-OLD0001", channel="web", created_at=utcnow() - timedelta(hours=1)))
    response = client.get("/healthz/deep")
    assert response.status_code == 503
    assert response.json()["problems"] == ["lead_waiting_too_long"]
    assert response.json()["oldest_unnotified_lead_seconds"] >= 3600
