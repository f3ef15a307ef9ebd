"""The routing decision: which rule, which pool, which person, and why — in words and in data.

Pure: it takes the lead's facts, a directory snapshot (people with live counters), the on-call
answer for `now`, the ruleset and a random source, and returns a `Decision`. The task holds row
locks around it so concurrent decisions see each other's counters.

Order: the first matching rule's pool → its fallback pool → (crisis and urgent) the on-call
coordinator → (routine) wait until the next coordinator of those pools comes on shift. A crisis is
never left waiting: past every pool and the on-call schedule it goes to any active coordinator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from services.routing.domain.directory import SHIFT_ABSENCES, Person, next_on_shift, why_unavailable
from services.routing.domain.oncall import OnCall
from services.routing.domain.rules import ON_CALL_POOL, PoolSpec, Rule, Ruleset, first_match

CAPACITY_RECHECK = timedelta(minutes=15)
NOBODY_RECHECK = timedelta(hours=1)
STRATEGY_WORDS = {"round_robin": "round robin", "least_loaded": "least loaded", "weighted": "weighted"}


class Via(StrEnum):
    """How the chosen person was found."""

    pool = "pool"
    fallback = "fallback"
    on_call = "on_call"
    last_resort = "last_resort"  # a crisis with nobody on call: any active coordinator
    wait = "wait"  # nobody: the lead waits


class WaitReason(StrEnum):
    """Why nobody was chosen (the decision's text says it in words)."""

    off_shift = "off_shift"  # until the first of the pools' people comes on shift
    at_capacity = "at_capacity"  # capacity or daily limits: check again soon
    empty_pools = "empty_pools"  # nobody in the rule's pools at all
    no_active_coordinator = "no_active_coordinator"  # a crisis and nobody active anywhere


@dataclass(frozen=True)
class LeadFacts:
    urgency: str
    conditions: tuple[str, ...] = ()
    primary_condition: str | None = None
    veteran: bool = False
    language: str | None = None
    flags: tuple[str, ...] = ()
    channel: str = "web"
    organization: str | None = None
    region: str | None = None
    # Label contraindications and warnings (codes like "contraindication:…"): always a reviewer copy.
    review_reasons: tuple[str, ...] = ()


@dataclass
class Decision:
    rule: Rule
    chosen: Person | None
    via: Via
    pool: str | None
    strategy: str
    skipped: list[tuple[Person, str]] = field(default_factory=list)
    wait_until: datetime | None = None
    wait: WaitReason | None = None
    wait_reason: str | None = None  # the same, in words
    reviewers: list[Person] = field(default_factory=list)
    review_flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Everyone the decision considered (its pools' members, on call, last resort): the lead's pool,
    # whose members may read it (shared/auth/policy.py).
    candidates: list[UUID] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [f"rule {self.rule.name} v{self.rule.version} matched"] + self.notes
        if self.chosen is not None:
            parts.append(f"pool {self.pool}")
            parts.append(f"{STRATEGY_WORDS.get(self.strategy, self.strategy)} → {self.chosen.name}")
        else:
            parts.append(f"waiting: {self.wait_reason}")
        if self.skipped:
            parts.append("skipped " + ", ".join(f"{p.name} ({why})" for p, why in self.skipped))
        if self.reviewers:
            parts.append(
                "reviewer copied: "
                + ", ".join(p.name for p in self.reviewers)
                + f" ({', '.join(self.review_flags)})"
            )
        return "; ".join(parts)

    def as_data(self) -> dict:
        return {
            "rule": self.rule.name,
            "rule_version": self.rule.version,
            "via": self.via,
            "pool": self.pool,
            "strategy": self.strategy,
            "chosen": ({"id": str(self.chosen.id), "name": self.chosen.name} if self.chosen else None),
            "skipped": [{"id": str(p.id), "name": p.name, "reason": why} for p, why in self.skipped],
            "wait_until": self.wait_until.isoformat() if self.wait_until else None,
            "wait_reason": self.wait_reason,
            "wait": self.wait,
            "reviewers": [{"id": str(p.id), "name": p.name} for p in self.reviewers],
            "review_flags": list(self.review_flags),
            "notes": list(self.notes),
            "text": self.text,
        }


def pool_members(name: str, spec: PoolSpec | None, people: list[Person], lead: LeadFacts) -> list[Person]:
    if spec is None:
        return []
    if spec.members is not None:
        wanted = {m.lower() for m in spec.members}
        return [p for p in people if p.email.lower() in wanted]
    out = []
    for p in people:
        if p.role not in spec.roles:
            continue
        if spec.specialties is not None and not set(spec.specialties) & set(p.specialties):
            continue
        if spec.programs is not None and not set(spec.programs) & set(p.programs):
            continue
        if spec.languages is not None and not set(spec.languages) & set(p.languages):
            continue
        if spec.lead_condition and (
            lead.primary_condition is None or lead.primary_condition not in p.specialties
        ):
            continue
        out.append(p)
    return out


def _never(p: Person) -> tuple:
    return (p.last_assigned_at is not None, p.last_assigned_at or datetime.min)


def pick(strategy: str, eligible: list[Person], rng: random.Random) -> Person:
    """Ties are broken at random, never by list order (who joined first)."""
    if strategy == "least_loaded":
        key = lambda p: (p.load, _never(p))  # noqa: E731
    elif strategy == "weighted":
        key = lambda p: ((p.new_today + 1) / max(p.weight, 0.01), _never(p))  # noqa: E731
    else:  # round robin: whoever was assigned least recently (never assigned first)
        key = _never
    best = min(key(p) for p in eligible)
    return rng.choice([p for p in eligible if key(p) == best])


def decide(
    lead: LeadFacts,
    people: list[Person],
    ruleset: Ruleset,
    now: datetime,
    on_call: list[OnCall],
    rng: random.Random | None = None,
    exclude: set[UUID] = frozenset(),
) -> Decision:
    rng = rng or random.Random()
    rule = first_match(ruleset, lead)
    staff = [p for p in people if p.id not in exclude]
    skipped: list[tuple[Person, str]] = []
    skipped_codes: set = set()
    seen: set[UUID] = set()
    tried_pools: list[tuple[str, list[Person]]] = []
    considered: dict[UUID, None] = {}  # ordered set

    def eligible_in(name: str, ignore_capacity: bool = False) -> list[Person]:
        if name == ON_CALL_POOL:
            members = [o.person for o in on_call if o.person.id not in exclude]
            considered.update((p.id, None) for p in members)
            # On call means available now, any hour, capacity or not (a crisis cannot wait).
            return [p for p in members if p.active]
        members = pool_members(name, ruleset.pools.get(name), staff, lead)
        considered.update((p.id, None) for p in members)
        tried_pools.append((name, members))
        out = []
        for p in members:
            why = why_unavailable(p, now, lead.urgency, lead.region)
            if why is None:
                out.append(p)
            elif p.id not in seen:
                seen.add(p.id)
                skipped_codes.add(why[0])
                skipped.append((p, why[1]))
        return out

    def chosen(via: str, pool: str, strategy: str, members: list[Person], notes=()) -> Decision:
        person = pick(strategy, members, rng)
        decision = Decision(
            rule,
            person,
            via,
            pool,
            strategy,
            [(p, why) for p, why in skipped if p.id != person.id],
            notes=list(notes),
        )
        considered.update((p.id, None) for p in members)
        decision.candidates = list(considered)
        _copy_reviewer(decision, lead, people, ruleset, now, rng)
        return decision

    action = rule.route
    members = eligible_in(action.pool)
    if members:
        return chosen(Via.pool, action.pool, action.strategy, members)
    if action.fallback:
        members = eligible_in(action.fallback)
        if members:
            return chosen(
                Via.fallback,
                action.fallback,
                action.strategy,
                members,
                notes=[f"nobody eligible in {action.pool}, fallback {action.fallback}"],
            )
    if lead.urgency in ("crisis", "urgent") and action.pool != ON_CALL_POOL:
        members = eligible_in(ON_CALL_POOL)
        if members:
            return chosen(
                Via.on_call,
                ON_CALL_POOL,
                "least_loaded",
                members,
                notes=[f"nobody eligible for a {lead.urgency} lead, on-call takes it"],
            )
    if lead.urgency == "crisis":
        # Never a dead end for a crisis: anyone active, in or out of shift and capacity.
        members = [p for p in staff if p.active and p.role == "coordinator"] or [p for p in staff if p.active]
        if members:
            return chosen(
                Via.last_resort,
                "everyone",
                "least_loaded",
                members,
                notes=["COVERAGE GAP: nobody on call; any active coordinator takes it"],
            )
        return Decision(
            rule,
            None,
            Via.wait,
            None,
            action.strategy,
            skipped,
            wait_until=now,
            wait=WaitReason.no_active_coordinator,
            wait_reason="no active coordinator at all",
        )
    # Routine (or urgent with nobody on call): wait for the first of these pools' people on shift.
    candidates = [p for _name, ms in tried_pools for p in ms if p.active and not p.paused]
    starts = [t for t in (next_on_shift(p, now) for p in candidates) if t is not None and t > now]
    off_shift_only = bool(skipped) and skipped_codes <= SHIFT_ABSENCES
    if starts and off_shift_only:
        until = min(starts)
        wait = WaitReason.off_shift
        reason = f"nobody on shift; next coordinator on shift at {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    elif skipped:
        until, wait = now + CAPACITY_RECHECK, WaitReason.at_capacity
        reason = "nobody eligible (capacity or limits); checking again in 15 minutes"
    else:
        until, wait = now + NOBODY_RECHECK, WaitReason.empty_pools
        reason = "no coordinator in the rule's pools"
    return Decision(
        rule,
        None,
        Via.wait,
        None,
        action.strategy,
        skipped,
        wait_until=until,
        wait=wait,
        wait_reason=reason,
        candidates=list(considered),
    )


def _copy_reviewer(
    decision: Decision,
    lead: LeadFacts,
    people: list[Person],
    ruleset: Ruleset,
    now: datetime,
    rng: random.Random,
) -> None:
    review = ruleset.review
    if review is None:
        return
    flags = sorted(set(review.flags) & set(lead.flags)) + list(lead.review_reasons)
    if not flags:
        return
    members = pool_members(review.pool, ruleset.pools.get(review.pool), people, lead)
    available = [
        p
        for p in members
        if p.active and why_unavailable(p.with_counts(open_leads=0, new_today=0), now, "urgent") is None
    ]
    pool = available or [p for p in members if p.active]
    if pool:
        decision.reviewers = [pick("round_robin", pool, rng)]
        decision.review_flags = flags
