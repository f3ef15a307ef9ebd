"""The coordinator directory as the routing engine sees it, and who is available when.

Pure code: a `Person` is a plain snapshot (the adapters build it from the database, the simulator
from YAML), and every availability question takes `now` explicitly, so tests and the simulator
control the clock. A person with no working hours configured counts as always on shift.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROLES = ("coordinator", "supervisor", "clinical_reviewer")


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str
    email: str = ""
    role: str = "coordinator"
    specialties: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    regions: tuple[str, ...] = ()  # licensed states/regions; empty = everywhere
    timezone: str = "America/Los_Angeles"
    working_hours: dict = field(default_factory=dict)  # {"mon": [["09:00", "17:00"]], ...}
    holidays: tuple[date, ...] = ()
    out_of_office: tuple[tuple[datetime, datetime], ...] = ()
    max_open_leads: int = 12
    max_new_per_day: int | None = None
    weight: float = 1.0
    active: bool = True
    paused: bool = False
    on_call_flag: bool = False  # a static "always on call" marker (used when no rotation exists)
    supervisor_id: UUID | None = None
    backup_id: UUID | None = None
    # live counters, filled in by whoever builds the snapshot
    open_leads: int = 0
    new_today: int = 0
    last_assigned_at: datetime | None = None

    def with_counts(self, **counts) -> Person:
        return replace(self, **counts)

    @property
    def load(self) -> float:
        return self.open_leads / max(self.max_open_leads, 1)


def _parse_hhmm(value: str) -> time | None:
    """ "24:00" means the end of the day (returned as None)."""
    if value == "24:00":
        return None
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def shift_intervals(person: Person, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Concrete working intervals (UTC-aware) overlapping [start, end), holidays removed."""
    tz = zone(person.timezone)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    out: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        if day not in person.holidays:
            for window in person.working_hours.get(DAYS[day.weekday()], []):
                begin_t, end_t = _parse_hhmm(window[0]), _parse_hhmm(window[1])
                begin = datetime.combine(day, begin_t or time(0), tzinfo=tz)
                if end_t is None:
                    finish = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                elif end_t <= (begin_t or time(0)):  # overnight window, e.g. 22:00-06:00
                    finish = datetime.combine(day + timedelta(days=1), end_t, tzinfo=tz)
                else:
                    finish = datetime.combine(day, end_t, tzinfo=tz)
                if finish > start and begin < end:
                    out.append((begin, finish))
        day += timedelta(days=1)
    return sorted(out)


def on_shift(person: Person, now: datetime) -> bool:
    if not person.working_hours:
        return local_date(person, now) not in person.holidays
    return any(b <= now < e for b, e in shift_intervals(person, now, now + timedelta(seconds=1)))


def local_date(person: Person, now: datetime) -> date:
    return now.astimezone(zone(person.timezone)).date()


def out_of_office_until(person: Person, now: datetime) -> datetime | None:
    for begin, end in person.out_of_office:
        if begin <= now < end:
            return end
    return None


def next_on_shift(person: Person, now: datetime, horizon: timedelta = timedelta(days=14)) -> datetime | None:
    """When this person next starts being on shift (and not out of office), within the horizon."""
    if not person.active:
        return None
    candidates: list[datetime] = []
    if not person.working_hours:
        # Always on shift, except holidays and out-of-office windows.
        t = now
        while t <= now + horizon:
            ooo = out_of_office_until(person, t)
            if ooo is not None:
                t = ooo
            elif local_date(person, t) in person.holidays:
                t = datetime.combine(
                    local_date(person, t) + timedelta(days=1), time(0), tzinfo=zone(person.timezone)
                )
            else:
                return t
        return None
    for begin, end in shift_intervals(person, now, now + horizon):
        t = max(begin, now)
        while t < end:
            ooo = out_of_office_until(person, t)
            if ooo is None:
                candidates.append(t)
                break
            t = ooo
        if candidates:
            break
    return min(candidates) if candidates else None


class Unavailable(StrEnum):
    """Why a person cannot take a new lead now (the explanation adds the specifics in words)."""

    inactive = "inactive"
    out_of_office = "out_of_office"
    on_holiday = "on_holiday"
    off_shift = "off_shift"
    not_licensed = "not_licensed"
    paused = "paused"
    at_capacity = "at_capacity"
    daily_limit = "daily_limit"


# Absences that end by themselves at a known time: a routine lead can wait for the next shift.
SHIFT_ABSENCES = frozenset({Unavailable.off_shift, Unavailable.on_holiday, Unavailable.out_of_office})


def why_unavailable(
    person: Person, now: datetime, urgency: str, lead_region: str | None = None
) -> tuple[Unavailable, str] | None:
    """(code, words) for why this person cannot take a new lead now; None when they can."""
    if not person.active:
        return Unavailable.inactive, "inactive"
    until = out_of_office_until(person, now)
    if until is not None:
        local = until.astimezone(zone(person.timezone))
        return Unavailable.out_of_office, f"out of office until {local:%Y-%m-%d %H:%M}"
    if local_date(person, now) in person.holidays:
        return Unavailable.on_holiday, "on holiday"
    if not on_shift(person, now):
        return Unavailable.off_shift, "off shift"
    if lead_region and person.regions and lead_region not in person.regions:
        return Unavailable.not_licensed, f"not licensed in {lead_region}"
    if person.paused and urgency == "routine":
        return Unavailable.paused, "paused from routine leads"
    if person.open_leads >= person.max_open_leads:
        return Unavailable.at_capacity, f"at capacity {person.open_leads}/{person.max_open_leads}"
    if person.max_new_per_day is not None and person.new_today >= person.max_new_per_day:
        return Unavailable.daily_limit, f"daily limit {person.new_today}/{person.max_new_per_day}"
    return None


def unavailable_reason(
    person: Person, now: datetime, urgency: str, lead_region: str | None = None
) -> str | None:
    """Why this person cannot take a new lead now, in words (None when they can)."""
    why = why_unavailable(person, now, urgency, lead_region)
    return why[1] if why else None


def start_of_local_day(person: Person, now: datetime) -> datetime:
    tz = zone(person.timezone)
    return datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
