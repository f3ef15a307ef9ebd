"""Queries the routing tasks and API need. Row locks make concurrent tasks wait, then see the work
already done: a routing decision locks the coordinator rows (in id order, so never a deadlock)
before it reads their counters and writes its assignment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from sqlmodel import Session, col, func, select

from shared.models import (
    Assignment, Classification, Coordinator, CoordinatorKey, Escalation, Lead, LeadContact, LeadStatus,
    OncallLayer, OncallOverride, RoutingRuleset, SlaDeadline,
)

from services.routing.domain.directory import Person, start_of_local_day
from services.routing.domain.oncall import Layer, Override, Schedule
from services.routing.domain.rules import Ruleset, default_ruleset

OPEN_STATUSES = (
    LeadStatus.routed.value,
    LeadStatus.notified.value,
    LeadStatus.acknowledged.value,
    LeadStatus.contacted.value,
)
UNACKNOWLEDGED = (LeadStatus.routed.value, LeadStatus.notified.value)


def lock_lead(session: Session, lead_id: UUID) -> Lead | None:
    return session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()).first()


def get_contact(session: Session, lead_id: UUID) -> LeadContact | None:
    return session.get(LeadContact, lead_id)


def get_classification(session: Session, lead_id: UUID) -> Classification | None:
    return session.exec(select(Classification).where(Classification.lead_id == lead_id)).first()


def latest_assignment(session: Session, lead_id: UUID) -> Assignment | None:
    return session.exec(
        select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.step).desc())
    ).first()


def next_step(session: Session, lead_id: UUID) -> int:
    top = session.exec(select(func.max(Assignment.step)).where(Assignment.lead_id == lead_id)).one()
    return 0 if top is None else top + 1


def _dates(values: list) -> tuple[date, ...]:
    out = []
    for v in values or []:
        try:
            out.append(date.fromisoformat(str(v)))
        except ValueError:
            continue
    return tuple(out)


def _windows(values: list) -> tuple[tuple[datetime, datetime], ...]:
    out = []
    for w in values or []:
        try:
            out.append((datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def to_person(c: Coordinator, open_leads: int = 0, new_today: int = 0) -> Person:
    return Person(
        id=c.id, name=c.name, email=c.email, role=c.role, specialties=tuple(c.specialties),
        programs=tuple(c.programs), languages=tuple(c.languages), regions=tuple(c.regions),
        timezone=c.timezone, working_hours=dict(c.working_hours or {}), holidays=_dates(c.holidays),
        out_of_office=_windows(c.out_of_office), max_open_leads=c.max_open_leads,
        max_new_per_day=c.max_new_per_day, weight=c.weight, active=c.active, paused=c.paused,
        on_call_flag=c.on_call, supervisor_id=c.supervisor_id, backup_id=c.backup_id,
        open_leads=open_leads, new_today=new_today, last_assigned_at=c.last_assigned_at,
    )


def lock_coordinators(session: Session) -> None:
    """Serialise routing decisions: every decision locks the directory rows in the same order."""
    session.exec(select(Coordinator.id).order_by(col(Coordinator.id)).with_for_update()).all()


def directory(session: Session, now: datetime) -> list[Person]:
    rows = session.exec(select(Coordinator).order_by(col(Coordinator.id))).all()
    open_counts = dict(session.exec(
        select(Lead.coordinator_id, func.count())
        .where(col(Lead.status).in_(OPEN_STATUSES), col(Lead.coordinator_id).is_not(None))
        .group_by(Lead.coordinator_id)
    ).all())
    recent = session.exec(
        select(Assignment.coordinator_id, Assignment.created_at)
        .where(col(Assignment.created_at) >= now - timedelta(hours=48))
        .where(col(Assignment.kind).in_(("route", "repeat", "reroute", "reassign", "claim", "on_call")))
    ).all()
    people = []
    for c in rows:
        person = to_person(c, open_counts.get(c.id, 0))
        day_start = start_of_local_day(person, now)
        new_today = sum(1 for cid, at in recent if cid == c.id and at >= day_start)
        people.append(person.with_counts(new_today=new_today))
    return people


def schedule(session: Session) -> Schedule:
    layers = tuple(
        Layer(name=l.name, rotation_start=l.rotation_start, shift_hours=l.shift_hours,
              members=tuple(UUID(m) for m in l.members), position=l.position, timezone=l.timezone,
              restrict_days=tuple(l.restrict_days), restrict_start=l.restrict_start, restrict_end=l.restrict_end)
        for l in session.exec(select(OncallLayer)).all()
    )
    overrides = tuple(Override(o.coordinator_id, o.starts_at, o.ends_at)
                      for o in session.exec(select(OncallOverride)).all())
    return Schedule(layers, overrides)


def current_ruleset(session: Session) -> Ruleset:
    row = session.exec(select(RoutingRuleset).order_by(col(RoutingRuleset.version).desc())).first()
    if row is None:
        return default_ruleset().model_copy(update={"version": 0})
    return Ruleset.model_validate(row.document)


def coordinator_for_key(session: Session, api_key_id: UUID | None) -> Coordinator | None:
    if api_key_id is None:
        return None
    link = session.get(CoordinatorKey, api_key_id)
    return session.get(Coordinator, link.coordinator_id) if link else None


def pending_deadlines(session: Session, lead_id: UUID) -> list[SlaDeadline]:
    return list(session.exec(
        select(SlaDeadline).where(SlaDeadline.lead_id == lead_id, SlaDeadline.status == "pending")
    ).all())


def escalation_recipients(session: Session, lead_id: UUID) -> set[UUID]:
    return set(session.exec(select(Escalation.coordinator_id).where(Escalation.lead_id == lead_id)).all())
