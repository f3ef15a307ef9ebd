"""The first router: who gets a classified lead, and why.

Pure decision code (no database): it narrows the active coordinators by what the lead needs —
on-call for a crisis, the veterans program for a veteran with PTSD, a shared language, the
specialty — keeping each narrowing only if someone is left, then picks the least loaded, breaking
ties at random so nobody wins by having joined first. The full rules engine is its own issue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class CoordinatorInfo:
    id: UUID
    name: str
    specialties: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)
    on_call: bool = False
    max_open_leads: int = 12
    open_leads: int = 0

    @property
    def load(self) -> float:
        return self.open_leads / max(self.max_open_leads, 1)


@dataclass(frozen=True)
class LeadNeeds:
    urgency: str
    primary_condition: str | None = None
    conditions: tuple[str, ...] = ()
    veteran: bool = False
    language: str | None = None


@dataclass(frozen=True)
class Decision:
    coordinator_id: UUID
    coordinator_name: str
    reason: str
    steps: list[str] = field(default_factory=list)


def _narrow(pool: list[CoordinatorInfo], keep, label: str, steps: list[str]) -> list[CoordinatorInfo]:
    narrowed = [c for c in pool if keep(c)]
    if narrowed:
        steps.append(f"{label}: {len(narrowed)} of {len(pool)}")
        return narrowed
    steps.append(f"{label}: nobody, kept {len(pool)}")
    return pool


def choose_coordinator(
    needs: LeadNeeds, coordinators: list[CoordinatorInfo], rng: random.Random | None = None
) -> Decision | None:
    if not coordinators:
        return None
    rng = rng or random.Random()
    steps: list[str] = []
    under_capacity = [c for c in coordinators if c.open_leads < c.max_open_leads]
    if needs.urgency == "crisis":
        # A crisis goes to a person now, capacity or not: on-call first.
        pool = _narrow(coordinators, lambda c: c.on_call, "crisis → on-call", steps)
    elif under_capacity:
        pool = under_capacity
        steps.append(f"under capacity: {len(pool)} of {len(coordinators)}")
    else:
        pool = list(coordinators)
        steps.append("everyone at capacity: least loaded takes it")
    if needs.veteran and "ptsd" in needs.conditions:
        pool = _narrow(pool, lambda c: "veterans" in c.programs, "veteran PTSD → veterans program", steps)
    if needs.language and needs.language != "en":
        pool = _narrow(pool, lambda c: needs.language in c.languages, f"language {needs.language}", steps)
    if needs.primary_condition:
        pool = _narrow(pool, lambda c: needs.primary_condition in c.specialties,
                       f"specialty {needs.primary_condition}", steps)
    lowest = min(c.load for c in pool)
    tied = [c for c in pool if c.load == lowest]
    chosen = rng.choice(tied)
    steps.append(
        f"least loaded → {chosen.name} ({chosen.open_leads}/{chosen.max_open_leads})"
        + (f", random among {len(tied)} tied" if len(tied) > 1 else "")
    )
    return Decision(chosen.id, chosen.name, "; ".join(steps), steps)
