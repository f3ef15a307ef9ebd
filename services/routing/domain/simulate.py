"""Replay leads against a directory and rules with a simulated clock (`careroute simulate`).

The same decision code as production (`engine.decide`, the SLA and the ladder) runs over a
discrete-event clock: leads arrive; routine leads nobody can take wait for the next coordinator on
shift; the holder acknowledges `ack_after_minutes` after assignment (never, when null); past the
deadline the ladder climbs and crisis pages repeat; an acknowledged lead stays open
`handle_minutes`, then closes (freeing capacity). The report gives the load per coordinator, SLA
met %, time to assignment per urgency and every crisis path, so a clinic can try a rule change
before it goes live.

Lead lines (JSON): {"id", "at" (ISO with offset), "urgency", "conditions", "primary", "veteran",
"language", "flags", "channel", "organization", "region", "contact" (an opaque key; equal keys are
repeat contacts), "ack_after_minutes", "escalation_ack_minutes", "handle_minutes"}.
"""

from __future__ import annotations

import heapq
import json
import random
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.routing.domain.directory import Person, out_of_office_until, start_of_local_day, zone
from services.routing.domain.documents import DirectoryDoc, Problem, snapshot
from services.routing.domain.engine import LeadFacts, decide
from services.routing.domain.oncall import on_call_at
from services.routing.domain.rules import Ruleset
from services.routing.domain.sla import acknowledge_by, next_rung, step_minutes

URGENCIES = ("crisis", "urgent", "routine")
MAX_PAGES = 12  # a crisis nobody acknowledges: page for an hour in the simulation, then report it
HORIZON = timedelta(days=3)  # stop the clock this long after the last arrival


class SimLead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    at: datetime
    urgency: Literal["crisis", "urgent", "routine"]
    conditions: list[str] = []
    primary: str | None = None
    veteran: bool = False
    language: str | None = None
    flags: list[str] = []
    channel: Literal["web", "phone", "referral"] = "web"
    organization: str | None = None
    region: str | None = None
    contact: str | None = None
    ack_after_minutes: float | None = Field(10, ge=0)
    escalation_ack_minutes: float | None = Field(4, ge=0)
    handle_minutes: float = Field(90, ge=0)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a UTC offset")
        return value


class LeadsInvalid(ValueError):
    def __init__(self, problems: list[Problem], source: str) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems, self.source = problems, source

    def lines(self) -> list[str]:
        return [f"{self.source}:{p.line}: {p.field or '(line)'}: {p.message}" for p in self.problems]


def parse_leads(lines, source: str = "leads") -> list[SimLead]:
    leads, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            leads.append(SimLead.model_validate(json.loads(line)))
        except json.JSONDecodeError:
            problems.append(Problem(field="", message="not valid JSON", line=number))
        except ValidationError as exc:
            for error in exc.errors():
                problems.append(
                    Problem(
                        field=".".join(str(p) for p in error["loc"]),
                        message=error["msg"].removeprefix("Value error, "),
                        line=number,
                    )
                )
    if problems:
        raise LeadsInvalid(problems, source)
    return sorted(leads, key=lambda lead: lead.at)


@dataclass
class LeadRun:
    lead: SimLead
    holder: UUID | None = None
    assigned_at: datetime | None = None
    deadline: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: UUID | None = None
    waited: bool = False
    rung: int = 0
    told: set = field(default_factory=set)
    path: list[str] = field(default_factory=list)
    pages: int = 0
    version: int = 0  # bumps on each (re)assignment, so stale timers are ignored
    owner: UUID | None = None  # the first assignee: whose backup and supervisor the ladder climbs to
    claimer: UUID | None = None


@dataclass
class Report:
    timezone: str
    start: datetime
    end: datetime
    ruleset_version: int | None
    people: list[Person]
    runs: list[LeadRun]
    assigned: dict
    peak_open: dict
    escalations_received: dict
    paused: list[str]

    def sla(self) -> dict:
        out = {}
        for urgency in URGENCIES + ("all",):
            runs = [r for r in self.runs if urgency == "all" or r.lead.urgency == urgency]
            met = sum(1 for r in runs if r.acknowledged_at and r.deadline and r.acknowledged_at <= r.deadline)
            if runs:
                out[urgency] = {"met": met, "total": len(runs), "percent": round(100 * met / len(runs), 1)}
        return out

    def time_to_assignment(self) -> dict:
        out = {}
        for urgency in URGENCIES:
            runs = [r for r in self.runs if r.lead.urgency == urgency and r.assigned_at]
            if not runs:
                continue
            minutes = [(r.assigned_at - r.lead.at).total_seconds() / 60 for r in runs]
            out[urgency] = {
                "median_minutes": round(statistics.median(minutes), 1),
                "max_minutes": round(max(minutes), 1),
                "waited": sum(r.waited for r in runs),
                "count": len(runs),
            }
        return out

    def as_data(self) -> dict:
        names = {p.id: p.name for p in self.people}
        return {
            "window": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "timezone": self.timezone,
            },
            "load": [
                {
                    "name": p.name,
                    "assigned": self.assigned.get(p.id, 0),
                    "peak_open": self.peak_open.get(p.id, 0),
                    "escalations_received": self.escalations_received.get(p.id, 0),
                }
                for p in self.people
            ],
            "sla": self.sla(),
            "time_to_assignment": self.time_to_assignment(),
            "crisis_paths": {r.lead.id: r.path for r in self.runs if r.lead.urgency == "crisis"},
            "paused": self.paused,
            "unassigned": [r.lead.id for r in self.runs if r.holder is None],
            "holders": {r.lead.id: names.get(r.holder) for r in self.runs},
        }


def run(doc: DirectoryDoc, ruleset: Ruleset, leads: list[SimLead], seed: int = 7) -> Report:
    people_list, schedule = snapshot(doc)
    people: dict[UUID, Person] = {p.id: p for p in people_list}
    names = {p.id: p.name for p in people_list}
    rng = random.Random(seed)
    tz = zone(doc.timezone)
    open_leads: dict[UUID, set] = {p: set() for p in people}
    assignments: dict[UUID, list[datetime]] = {p: [] for p in people}
    peak: dict[UUID, int] = {}
    escalated_to: dict[UUID, int] = {}
    timeouts: dict[UUID, int] = {}
    paused: list[str] = []
    last_contact: dict[str, LeadRun] = {}
    runs: dict[str, LeadRun] = {}
    heap: list = []
    counter = 0

    def push(at: datetime, kind: str, lead_id: str, version: int = 0) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(heap, (at, counter, kind, lead_id, version))

    def hhmm(t: datetime) -> str:
        return t.astimezone(tz).strftime("%H:%M")

    def live(t: datetime) -> list[Person]:
        out = []
        for pid, p in people.items():
            day = start_of_local_day(p, t)
            out.append(
                p.with_counts(
                    open_leads=len(open_leads[pid]), new_today=sum(1 for a in assignments[pid] if a >= day)
                )
            )
        return out

    def give(r: LeadRun, pid: UUID, t: datetime, label: str) -> None:
        r.holder, r.version = pid, r.version + 1
        r.owner = r.owner or pid
        if r.assigned_at is None:
            r.assigned_at = t
            r.deadline = acknowledge_by(r.lead.urgency, t, ruleset.sla)
        open_leads[pid].add(r.lead.id)
        peak[pid] = max(peak.get(pid, 0), len(open_leads[pid]))
        assignments[pid].append(t)
        people[pid] = people[pid].with_counts(last_assigned_at=t)
        r.path.append(f"{hhmm(t)} {label} → {names[pid]}")
        if r.lead.ack_after_minutes is not None:
            push(t + timedelta(minutes=r.lead.ack_after_minutes), "ack", r.lead.id, r.version)
        push(
            r.deadline
            if r.rung == 0
            else t + timedelta(minutes=step_minutes(r.lead.urgency, ruleset.escalation)),
            "deadline",
            r.lead.id,
            r.version,
        )
        if r.lead.urgency == "crisis":
            push(
                t + timedelta(minutes=ruleset.escalation.crisis_repeat_minutes), "page", r.lead.id, r.version
            )

    for lead in leads:
        runs[lead.id] = LeadRun(lead)
        push(lead.at, "arrive", lead.id)

    end = (leads[-1].at + HORIZON) if leads else datetime.now(tz)
    while heap:
        t, _n, kind, lead_id, version = heapq.heappop(heap)
        if t > end:
            break
        r = runs[lead_id]
        if kind in ("ack", "deadline", "page", "claim") and (version != r.version or r.acknowledged_at):
            continue
        if kind == "close":
            for pid in open_leads:
                open_leads[pid].discard(lead_id)
            continue
        if kind in ("arrive", "retry"):
            lead = r.lead
            prior = last_contact.get(lead.contact or "")
            if (
                kind == "arrive"
                and prior is not None
                and prior.holder is not None
                and lead.at - prior.lead.at <= timedelta(days=30)
                and prior.lead.id in open_leads[prior.holder]
                and people[prior.holder].active
                and out_of_office_until(people[prior.holder], t) is None
            ):
                give(r, prior.holder, t, f"repeat contact of {prior.lead.id}, same coordinator")
                if lead.contact:
                    last_contact[lead.contact] = r
                continue
            facts = LeadFacts(
                lead.urgency,
                tuple(lead.conditions),
                lead.primary,
                lead.veteran,
                lead.language,
                tuple(lead.flags),
                lead.channel,
                lead.organization,
                lead.region,
            )
            current = live(t)
            on_call = on_call_at(schedule, {p.id: p for p in current}, t)
            decision = decide(facts, current, ruleset, t, on_call, rng=rng)
            if decision.chosen is None:
                r.waited = True
                if kind == "arrive":
                    r.path.append(
                        f"{hhmm(t)} rule {decision.rule.name} v{decision.rule.version}: {decision.wait_reason}"
                    )
                push(max(decision.wait_until or t, t + timedelta(minutes=1)), "retry", lead_id)
                continue
            label = f"rule {decision.rule.name} v{decision.rule.version}, {decision.pool} ({decision.via})"
            give(r, decision.chosen.id, t, label)
            if lead.contact:
                last_contact[lead.contact] = r
        elif kind == "ack":
            holder = r.holder
            r.acknowledged_at, r.acknowledged_by = t, holder
            timeouts[holder] = 0 if r.rung == 0 else timeouts.get(holder, 0)
            state = "in time" if r.deadline and t <= r.deadline else "LATE"
            minutes = round((t - r.assigned_at).total_seconds() / 60)
            r.path.append(f"{hhmm(t)} acknowledged by {names[holder]} ({minutes} min, {state})")
            push(t + timedelta(minutes=r.lead.handle_minutes), "close", lead_id)
        elif kind == "page":
            r.pages += 1
            r.path.append(f"{hhmm(t)} crisis page repeated to {names[r.holder]}")
            if r.pages >= MAX_PAGES:
                r.path.append(
                    f"still unacknowledged after {r.pages} repeated pages (the simulation stops paging)"
                )
                continue
            push(t + timedelta(minutes=ruleset.escalation.crisis_repeat_minutes), "page", lead_id, r.version)
        elif kind == "deadline":
            owner = r.owner or r.holder
            if r.rung == 0:
                timeouts[owner] = timeouts.get(owner, 0) + 1
                if timeouts[owner] >= ruleset.escalation.pause_after_timeouts and not people[owner].paused:
                    people[owner] = people[owner].with_counts(paused=True)
                    paused.append(names[owner])
                    r.path.append(f"{hhmm(t)} {names[owner]} paused from routine leads (timeouts in a row)")
            current = {p.id: p for p in live(t)}
            on_call = [o.person for o in on_call_at(schedule, current, t)]
            rung = next_rung(
                r.rung, current.get(owner), current, on_call, t, ruleset.escalation, already=r.told
            )
            if rung is None:
                r.path.append(f"{hhmm(t)} no acknowledgement; ladder exhausted")
                continue
            r.rung = rung.step
            r.told.add(rung.person.id)
            r.claimer = rung.person.id
            escalated_to[rung.person.id] = escalated_to.get(rung.person.id, 0) + 1
            r.path.append(f"{hhmm(t)} no acknowledgement: escalated to {rung.role} {rung.person.name}")
            r.version += 1
            if r.lead.escalation_ack_minutes is not None:
                push(t + timedelta(minutes=r.lead.escalation_ack_minutes), "claim", lead_id, r.version)
            push(
                t + timedelta(minutes=step_minutes(r.lead.urgency, ruleset.escalation)),
                "deadline",
                lead_id,
                r.version,
            )
            if r.lead.urgency == "crisis":
                push(
                    t + timedelta(minutes=ruleset.escalation.crisis_repeat_minutes),
                    "page",
                    lead_id,
                    r.version,
                )
        elif kind == "claim":
            if version != r.version or r.acknowledged_at or r.claimer is None:
                continue
            open_leads[r.holder].discard(lead_id)
            r.holder = r.claimer
            open_leads[r.holder].add(lead_id)
            peak[r.holder] = max(peak.get(r.holder, 0), len(open_leads[r.holder]))
            r.acknowledged_at, r.acknowledged_by = t, r.holder
            state = "in time" if r.deadline and t <= r.deadline else "LATE"
            minutes = round((t - r.assigned_at).total_seconds() / 60)
            r.path.append(f"{hhmm(t)} claimed and acknowledged by {names[r.holder]} ({minutes} min, {state})")
            push(t + timedelta(minutes=r.lead.handle_minutes), "close", lead_id)
    return _finish(doc, ruleset, people_list, runs, assignments, peak, escalated_to, paused, leads, end)


def _finish(doc, ruleset, people_list, runs, assignments, peak, escalated_to, paused, leads, end) -> Report:
    return Report(
        timezone=doc.timezone,
        start=leads[0].at if leads else end,
        end=leads[-1].at if leads else end,
        ruleset_version=ruleset.version,
        people=people_list,
        runs=list(runs.values()),
        assigned={pid: len(times) for pid, times in assignments.items()},
        peak_open=peak,
        escalations_received=escalated_to,
        paused=paused,
    )
