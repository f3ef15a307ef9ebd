"""How soon a routed lead must be acknowledged, and who is told next when it is not.

SLA (configurable in the ruleset): crisis 5 minutes, urgent 1 hour, routine by the end of the next
business day in the clinic's time zone. The ladder climbs backup → supervisor → clinic on-call;
crisis pages also repeat to the assignee every few minutes until someone acknowledges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from services.routing.domain.directory import DAYS, Person, out_of_office_until, zone
from services.routing.domain.rules import EscalationSpec, SlaSpec

DEFAULT_SLA = SlaSpec()
DEFAULT_ESCALATION = EscalationSpec()


def acknowledge_by(urgency: str, routed_at: datetime, sla: SlaSpec | None = None) -> datetime:
    sla = sla or DEFAULT_SLA
    if urgency == "crisis":
        return routed_at + timedelta(minutes=sla.crisis_minutes)
    if urgency == "routine":
        if isinstance(sla.routine, int):
            return routed_at + timedelta(minutes=sla.routine)
        return end_of_next_business_day(routed_at, sla)
    return routed_at + timedelta(minutes=sla.urgent_minutes)


def _is_business_day(day: date, sla: SlaSpec) -> bool:
    return DAYS[day.weekday()] in sla.business_days and day.isoformat() not in sla.holidays


def end_of_next_business_day(at: datetime, sla: SlaSpec) -> datetime:
    tz = zone(sla.business_timezone)
    day = at.astimezone(tz).date() + timedelta(days=1)
    for _ in range(30):
        if _is_business_day(day, sla):
            break
        day += timedelta(days=1)
    hours, minutes = sla.business_day_end.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=tz).astimezone(at.tzinfo or tz)


@dataclass(frozen=True)
class Rung:
    step: int  # 1-based ladder step
    role: str  # backup | supervisor | on_call
    person: Person


def next_rung(
    step: int,
    owner: Person | None,
    people: dict[UUID, Person],
    on_call: list[Person],
    now: datetime,
    escalation: EscalationSpec | None = None,
    already: set[UUID] = frozenset(),
) -> Rung | None:
    """The first usable rung after `step` (0 = the assignee). Missing or unusable rungs are skipped:
    nobody configured, inactive, out of office, the assignee themself, or already told."""
    escalation = escalation or DEFAULT_ESCALATION
    told = set(already) | ({owner.id} if owner else set())
    for index in range(step, len(escalation.ladder)):
        role = escalation.ladder[index]
        if role == "on_call":
            candidates = on_call
        else:
            target = getattr(owner, f"{role}_id", None) if owner else None
            candidates = [people[target]] if target in people else []
        for person in candidates:
            if person.active and out_of_office_until(person, now) is None and person.id not in told:
                return Rung(index + 1, role, person)
    return None


def step_minutes(urgency: str, escalation: EscalationSpec | None = None) -> int:
    escalation = escalation or DEFAULT_ESCALATION
    return escalation.step_minutes.get(urgency, escalation.step_minutes.get("urgent", 30))
