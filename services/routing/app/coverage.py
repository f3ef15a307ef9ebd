"""Alerts for supervisors, and the on-call schedule's coverage: who is on call now, and any gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from shared.events import AlertRaisedV1
from shared.logging import get_logger
from shared.schema import RoutingAlert

from services.routing.app.ports import RoutingRepository
from services.routing.domain.codes import AlertKind, Severity
from services.routing.domain.oncall import Gap, OnCall, coverage_gaps, on_call_at

log = get_logger(__name__)
GAP_KEY = "gap:"


def raise_alert(
    repo: RoutingRepository,
    kind: AlertKind,
    dedup_key: str,
    severity: Severity,
    *,
    coordinator_id: UUID | None = None,
    lead_id: UUID | None = None,
    detail: dict | None = None,
) -> RoutingAlert | None:
    """Once per (kind, key) until resolved: the row, and `alert.raised` for notify to email."""
    row = RoutingAlert(
        kind=kind,
        dedup_key=dedup_key[:200],
        severity=severity,
        coordinator_id=coordinator_id,
        lead_id=lead_id,
        detail=detail or {},
    )
    if not repo.add_alert_once(row):
        return None
    repo.emit(
        AlertRaisedV1(
            alert_id=row.id, kind=kind, severity=severity, lead_id=lead_id, coordinator_id=coordinator_id
        )
    )
    log.warning("alert_raised", kind=kind, alert_id=str(row.id), severity=severity)
    return row


def on_call_now(repo: RoutingRepository, now: datetime, days: int) -> tuple[list[OnCall], list[Gap]]:
    people = {p.id: p for p in repo.directory(now)}
    schedule = repo.schedule()
    return on_call_at(schedule, people, now), coverage_gaps(schedule, people, now, timedelta(days=days))


def check_coverage(
    repo: RoutingRepository, now: datetime, horizon: timedelta = timedelta(days=14)
) -> list[Gap]:
    """A critical alert per gap in the next two weeks; alerts for gaps since filled are resolved."""
    by_id = {p.id: p for p in repo.directory(now)}
    gaps = coverage_gaps(repo.schedule(), by_id, now, horizon)
    for gap in gaps:  # UTC, so the dedup key does not depend on whose offset a boundary came from
        gap.start, gap.end = gap.start.astimezone(UTC), gap.end.astimezone(UTC)
    keys = {_gap_key(g) for g in gaps}
    for alert in repo.open_alerts(AlertKind.coverage_gap, GAP_KEY):
        if alert.dedup_key not in keys:
            alert.resolved_at = now
            repo.add(alert)
    for gap in gaps:
        raise_alert(
            repo,
            AlertKind.coverage_gap,
            _gap_key(gap),
            Severity.critical,
            detail={"start": gap.start.isoformat(), "end": gap.end.isoformat()},
        )
    if gaps:
        log.error("oncall_coverage_gap", gaps=len(gaps), first_gap_start=gaps[0].start.isoformat())
    return gaps


def _gap_key(gap: Gap) -> str:
    return f"{GAP_KEY}{gap.start.isoformat()}/{gap.end.isoformat()}"
