"""The 24/7 on-call schedule for crisis coverage: rotations in layers, plus overrides.

Who is on call at time t: an override covering t wins; otherwise the highest layer whose
restriction covers t hands the turn to `members[(t - start) // shift % len(members)]`. A member
who is inactive or out of office at t does not count, and the next layer down is asked. A gap is
any time nobody is on call; `coverage_gaps` finds every one in a window exactly, by evaluating the
schedule at each point where its answer can change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from uuid import UUID

from services.routing.domain.directory import DAYS, Person, out_of_office_until, zone


@dataclass(frozen=True)
class Layer:
    name: str
    rotation_start: datetime
    shift_hours: int
    members: tuple[UUID, ...]
    position: int = 0  # higher wins
    timezone: str = "America/Los_Angeles"
    restrict_days: tuple[str, ...] = ()
    restrict_start: str | None = None  # "HH:MM" local
    restrict_end: str | None = None

    def covers(self, t: datetime) -> bool:
        if not self.restrict_days and not self.restrict_start:
            return True
        local = t.astimezone(zone(self.timezone))
        start = _hhmm(self.restrict_start or "00:00")
        end = _hhmm(self.restrict_end or "24:00")
        clock = local.time()
        if end is None:  # until midnight
            inside, day = clock >= start, local.date()
        elif end > start:
            inside, day = start <= clock < end, local.date()
        else:  # overnight restriction: the window belongs to the day it starts
            inside = clock >= start or clock < end
            day = local.date() if clock >= start else local.date() - timedelta(days=1)
        return inside and (not self.restrict_days or DAYS[day.weekday()] in self.restrict_days)

    def member_at(self, t: datetime) -> UUID | None:
        if not self.members or t < self.rotation_start:
            return None
        turn = int((t - self.rotation_start) // timedelta(hours=self.shift_hours))
        return self.members[turn % len(self.members)]

    def change_points(self, start: datetime, end: datetime) -> list[datetime]:
        points = []
        shift = timedelta(hours=self.shift_hours)
        if self.rotation_start > start:
            points.append(self.rotation_start)
        k = max(int((start - self.rotation_start) // shift), 0)
        t = self.rotation_start + k * shift
        while t < end:
            if t > start:
                points.append(t)
            t += shift
        if self.restrict_days or self.restrict_start:
            tz = zone(self.timezone)
            day = start.astimezone(tz).date() - timedelta(days=1)
            while day <= end.astimezone(tz).date():
                for hhmm in (self.restrict_start or "00:00", self.restrict_end or "24:00"):
                    parsed = _hhmm(hhmm)
                    moment = (
                        datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                        if parsed is None
                        else datetime.combine(day, parsed, tzinfo=tz)
                    )
                    if start < moment < end:
                        points.append(moment)
                day += timedelta(days=1)
        return points


@dataclass(frozen=True)
class Override:
    coordinator_id: UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Schedule:
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.layers and not self.overrides


@dataclass(frozen=True)
class OnCall:
    person: Person
    source: str  # "override", "layer <name>" or "on-call flag"


@dataclass
class Gap:
    start: datetime
    end: datetime


def _hhmm(value: str):
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _usable(person: Person | None, t: datetime) -> bool:
    return person is not None and person.active and out_of_office_until(person, t) is None


def on_call_at(schedule: Schedule, people: dict[UUID, Person], t: datetime) -> list[OnCall]:
    """Who is on call at t (usually one person; several only from static on-call flags)."""
    for override in schedule.overrides:
        if override.starts_at <= t < override.ends_at and _usable(people.get(override.coordinator_id), t):
            return [OnCall(people[override.coordinator_id], "override")]
    for layer in sorted(schedule.layers, key=lambda layer: -layer.position):
        if not layer.covers(t):
            continue
        member = layer.member_at(t)
        if member is not None and _usable(people.get(member), t):
            return [OnCall(people[member], f"layer {layer.name}")]
    # Static flags: people marked on call at all hours (the simple setup, and older directories).
    return [OnCall(p, "on-call flag") for p in people.values() if p.on_call_flag and _usable(p, t)]


def coverage_gaps(
    schedule: Schedule, people: dict[UUID, Person], start: datetime, horizon: timedelta = timedelta(days=14)
) -> list[Gap]:
    end = start + horizon
    points = {start}
    for layer in schedule.layers:
        points.update(layer.change_points(start, end))
    for override in schedule.overrides:
        points.update(p for p in (override.starts_at, override.ends_at) if start < p < end)
    for person in people.values():
        for begin, finish in person.out_of_office:
            points.update(p for p in (begin, finish) if start < p < end)
    ordered = sorted(points)
    gaps: list[Gap] = []
    for i, t in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else end
        if on_call_at(schedule, people, t):
            continue
        if gaps and gaps[-1].end == t:
            gaps[-1].end = nxt
        else:
            gaps.append(Gap(t, nxt))
    return gaps


@dataclass
class CoverageReport:
    gaps: list[Gap] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return not self.gaps


@dataclass
class Shift:
    start: datetime
    end: datetime
    names: tuple[str, ...]  # empty: nobody on call (a gap)
    source: str


def shifts(
    schedule: Schedule, people: dict[UUID, Person], start: datetime, horizon: timedelta = timedelta(days=14)
) -> list[Shift]:
    """Who is on call from `start` on, as consecutive shifts (a gap is a shift with nobody), cut at
    the same change points the coverage check uses."""
    end = start + horizon
    points = {start}
    for layer in schedule.layers:
        points.update(layer.change_points(start, end))
    for override in schedule.overrides:
        points.update(p for p in (override.starts_at, override.ends_at) if start < p < end)
    for person in people.values():
        for begin, finish in person.out_of_office:
            points.update(p for p in (begin, finish) if start < p < end)
    ordered = sorted(points)
    out: list[Shift] = []
    for i, t in enumerate(ordered):
        nxt = ordered[i + 1] if i + 1 < len(ordered) else end
        found = on_call_at(schedule, people, t)
        names = tuple(o.person.name for o in found)
        source = found[0].source if found else ""
        if out and out[-1].names == names and out[-1].source == source:
            out[-1].end = nxt
        else:
            out.append(Shift(t, nxt, names, source))
    return out
