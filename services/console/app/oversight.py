"""What supervisors oversee: the dashboard's figures, escalations in flight, the spam-review list
and the audit trail with its actors named. Supervisors only (the pages check the role); nothing
here shows PHI — the lists link to lead pages, whose every opening is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from shared.readmodel.lead_page import AuditRow
from shared.readmodel.queue import QueueQuery, QueueRow
from shared.schema import LeadStatus

from services.console.app.ports import AuditStore, LeadDesk
from services.console.domain import stats
from services.console.domain.queue import sort_key
from services.console.domain.review import AuditFilter

IN_FLIGHT = (LeadStatus.routed, LeadStatus.notified, LeadStatus.waiting, LeadStatus.manual_triage)
DIMENSIONS = (
    ("Channel", "channel", "none"),
    ("Condition", "condition", "none found"),
    ("Referrer", "referrer", "no referrer (web, phone)"),
)


@dataclass(frozen=True)
class Dashboard:
    days: int
    first: date
    last: date
    today: dict  # the day's figures
    to_acknowledge: list[stats.Timing]
    to_contact: list[stats.Timing]
    sla: list[stats.SlaFigure]
    series: list[tuple[stats.Series, stats.Chart]]


def dashboard(desk: LeadDesk, now: datetime, days: int) -> Dashboard:
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=days - 1)
    facts = desk.lead_facts(datetime.combine(first, time(), tzinfo=UTC))
    todays = [f for f in facts if f.created_at.astimezone(UTC).date() == last]
    today_sla = [s for s in stats.sla(todays, now) if s.urgency == "all"][0]
    today = {
        "received": len(todays),
        "crisis": sum(1 for f in todays if f.urgency == "crisis"),
        "acknowledged": sum(1 for f in todays if f.acknowledged_at is not None),
        "contacted": sum(1 for f in todays if f.first_contact_at is not None),
        "sla_percent": today_sla.percent,
        "median_contact": stats.percentile(
            [
                (f.first_contact_at - f.created_at).total_seconds() / 60
                for f in todays
                if f.first_contact_at is not None
            ],
            50,
        ),
    }
    series = []
    for label, attribute, missing in DIMENSIONS:
        one = stats.per_day(facts, label, attribute, first, last, missing=missing)
        series.append((one, stats.stacked_bars(one)))
    return Dashboard(
        days=days,
        first=first,
        last=last,
        today=today,
        to_acknowledge=stats.timings(facts, "acknowledged_at"),
        to_contact=stats.timings(facts, "first_contact_at"),
        sla=stats.sla(facts, now),
        series=series,
    )


def escalations(desk: LeadDesk) -> list[QueueRow]:
    """Leads the ladder has climbed for that nobody has acknowledged yet: most urgent first."""
    rows = desk.queue(QueueQuery(statuses=tuple(s.value for s in IN_FLIGHT), escalated_only=True))
    return sorted(rows, key=lambda r: sort_key(r.urgency, r.due_at, r.created_at))


def spam_review(desk: LeadDesk) -> list[QueueRow]:
    rows = desk.queue(QueueQuery(statuses=(LeadStatus.spam_review.value,)))
    return sorted(rows, key=lambda r: sort_key(r.urgency, None, r.created_at))


@dataclass(frozen=True)
class AuditQuery:
    lead: str = ""  # a reference or a lead id
    actor: str = ""  # a staff email, or an actor as the trail writes it ("key:…", "link:…")
    since: date | None = None
    until: date | None = None  # inclusive


@dataclass(frozen=True)
class AuditPage:
    rows: list[tuple[AuditRow, str | None]]  # each with its lead's reference
    next_before: int | None
    unknown: str | None  # "lead" / "actor": the filter names nothing


def audit_trail(
    desk: LeadDesk, store: AuditStore, query: AuditQuery, before: int | None, limit: int = 100
) -> AuditPage:
    lead_id = None
    if query.lead:
        lead_id = _uuid(query.lead) or desk.lead_id_of(query.lead.strip())
        if lead_id is None:
            return AuditPage([], None, "lead")
    actor = None
    if query.actor:
        actor = desk.actor_for_email(query.actor) if "@" in query.actor else query.actor.strip()
        if actor is None:
            return AuditPage([], None, "actor")
    where = AuditFilter(
        lead_id=lead_id,
        actor=actor,
        since=datetime.combine(query.since, time(), tzinfo=UTC) if query.since else None,
        until=datetime.combine(query.until + timedelta(days=1), time(), tzinfo=UTC) if query.until else None,
    )
    events = store.newest(where, limit + 1, before)
    more = len(events) > limit
    events = events[:limit]
    references = desk.references([e.lead_id for e in events if e.lead_id])
    named = desk.name_actors(events)
    rows = [(row, references.get(event.lead_id)) for row, event in zip(named, events, strict=True)]
    return AuditPage(rows, events[-1].id if more and events else None, None)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value.strip())
    except ValueError:
        return None
