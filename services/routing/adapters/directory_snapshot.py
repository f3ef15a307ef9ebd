"""The directory as a routing decision sees it: people with live counters, the on-call schedule
and the live rules — read on the repository's session (SqlRoutingRepository mixes this in)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlmodel import Session, col, func, select

from shared.schema import (
    OPEN_STATUSES,
    Assignment,
    Coordinator,
    LeadState,
    OncallLayer,
    OncallOverride,
    RoutingRuleset,
)

from services.routing.domain.codes import AssignmentKind
from services.routing.domain.directory import Person, start_of_local_day
from services.routing.domain.oncall import Layer, Override, Schedule
from services.routing.domain.rules import Ruleset, default_ruleset

_OPEN = [s.value for s in OPEN_STATUSES]
# Assignments that count towards a coordinator's daily limit.
_COUNTED_KINDS = [k.value for k in AssignmentKind]


class DirectorySnapshot:
    session: Session

    def coordinator(self, coordinator_id: UUID | None) -> Coordinator | None:
        return self.session.get(Coordinator, coordinator_id) if coordinator_id else None

    def lock_coordinators(self) -> None:
        """Serialise routing decisions: every decision locks the directory rows in the same order.

        FOR NO KEY UPDATE (SQLAlchemy spells it key_share=True), not FOR UPDATE: decisions still exclude each other, but a transaction
        that merely inserts a row referencing a coordinator (a notification, an assignment: the
        foreign key takes FOR KEY SHARE) no longer blocks every decision, the crisis lane's
        included, until it commits. Under a burst that wait was most of a crisis lead's time."""
        self.session.exec(
            select(Coordinator.id).order_by(col(Coordinator.id)).with_for_update(key_share=True)
        ).all()

    def directory(self, now: datetime) -> list[Person]:
        """Everyone, with live counters: open leads and new assignments today (their local day)."""
        rows = self.session.exec(select(Coordinator).order_by(col(Coordinator.id))).all()
        open_counts = dict(
            self.session.exec(
                select(LeadState.coordinator_id, func.count())
                .where(col(LeadState.status).in_(_OPEN), col(LeadState.coordinator_id).is_not(None))
                .group_by(LeadState.coordinator_id)
            ).all()
        )
        people = [to_person(c, open_counts.get(c.id, 0)) for c in rows]
        # New assignments since each person's local midnight, counted by the database: one
        # aggregate per distinct day start (one per time zone in use), not every row of the last
        # two days read into Python on each decision (under a burst that grew with every lead).
        starts = {p.id: start_of_local_day(p, now) for p in people}
        new_today: dict[UUID, int] = {}
        for day_start in set(starts.values()):
            counted = self.session.exec(
                select(Assignment.coordinator_id, func.count())
                .where(col(Assignment.created_at) >= day_start)
                .where(col(Assignment.kind).in_(_COUNTED_KINDS))
                .group_by(Assignment.coordinator_id)
            ).all()
            for cid, n in counted:
                if starts.get(cid) == day_start:
                    new_today[cid] = n
        people = [p.with_counts(new_today=new_today.get(p.id, 0)) for p in people]
        return people

    def schedule(self) -> Schedule:
        layers = tuple(
            Layer(
                name=row.name,
                rotation_start=row.rotation_start,
                shift_hours=row.shift_hours,
                members=tuple(UUID(m) for m in row.members),
                position=row.position,
                timezone=row.timezone,
                restrict_days=tuple(row.restrict_days),
                restrict_start=row.restrict_start,
                restrict_end=row.restrict_end,
            )
            for row in self.session.exec(select(OncallLayer)).all()
        )
        overrides = tuple(
            Override(o.coordinator_id, o.starts_at, o.ends_at)
            for o in self.session.exec(select(OncallOverride)).all()
        )
        return Schedule(layers, overrides)

    def ruleset(self) -> Ruleset:
        # Once per unit of work: a decision and its SLA both ask, and the document is parsed each time.
        cached = self.__dict__.get("_ruleset")
        if cached is None:
            cached = self.__dict__["_ruleset"] = current_ruleset(self.session)
        return cached


def current_ruleset(session: Session) -> Ruleset:
    row = session.exec(select(RoutingRuleset).order_by(col(RoutingRuleset.version).desc())).first()
    if row is None:
        return default_ruleset().model_copy(update={"version": 0})
    return Ruleset.model_validate(row.document)


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
        id=c.id,
        name=c.name,
        email=c.email,
        role=c.role,
        specialties=tuple(c.specialties),
        programs=tuple(c.programs),
        languages=tuple(c.languages),
        regions=tuple(c.regions),
        timezone=c.timezone,
        working_hours=dict(c.working_hours or {}),
        holidays=_dates(c.holidays),
        out_of_office=_windows(c.out_of_office),
        max_open_leads=c.max_open_leads,
        max_new_per_day=c.max_new_per_day,
        weight=c.weight,
        active=c.active,
        paused=c.paused,
        on_call_flag=c.on_call,
        supervisor_id=c.supervisor_id,
        backup_id=c.backup_id,
        open_leads=open_leads,
        new_today=new_today,
        last_assigned_at=c.last_assigned_at,
    )
