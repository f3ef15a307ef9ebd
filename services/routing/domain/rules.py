"""Routing rules as data: ordered, first match wins, the last rule a catch-all.

A ruleset document (YAML or JSON) holds named pools, the rules, the reviewer copy, the SLA and the
escalation ladder. Every rule carries a version: an import that changes a rule's content bumps
its version, so every assignment can record exactly which rule text decided it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Strategy = Literal["round_robin", "least_loaded", "weighted"]
ON_CALL_POOL = "on_call"  # built in: whoever the on-call schedule says, now
DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Conditions(_Strict):
    """Every condition given must hold (AND); each list matches when any of its values does."""

    urgency: list[Literal["crisis", "urgent", "routine"]] | None = None
    conditions: list[str] | None = None
    veteran: bool | None = None
    language: list[str] | None = None
    flags: list[str] | None = None
    channel: list[Literal["web", "phone", "referral"]] | None = None
    referring_practice: list[str] | None = None
    region: list[str] | None = None

    def is_catch_all(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class Action(_Strict):
    pool: str
    strategy: Strategy = "round_robin"
    fallback: str | None = None


class Rule(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    description: str = ""
    when: Conditions = Field(default_factory=Conditions)
    route: Action
    version: int = Field(1, ge=1)  # assigned on import; a file may state it for the record


class PoolSpec(_Strict):
    """Who is in a pool: listed members, or everyone matching all the criteria given."""

    members: list[str] | None = None  # emails
    roles: list[Literal["coordinator", "supervisor", "clinical_reviewer"]] = ["coordinator"]
    specialties: list[str] | None = None
    programs: list[str] | None = None
    languages: list[str] | None = None
    lead_condition: bool = False  # specialty includes the lead's primary condition


class ReviewCopy(_Strict):
    flags: list[str]
    pool: str = "clinical_reviewers"


class SlaSpec(_Strict):
    crisis_minutes: int = Field(5, ge=1)
    urgent_minutes: int = Field(60, ge=1)
    routine: Literal["next_business_day_end"] | int = "next_business_day_end"  # or minutes
    business_timezone: str = "America/Los_Angeles"
    business_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    ]
    business_day_end: str = Field("17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    holidays: list[str] = []  # ISO dates

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)
        return value


class EscalationSpec(_Strict):
    ladder: list[Literal["backup", "supervisor", "on_call"]] = ["backup", "supervisor", "on_call"]
    step_minutes: dict[Literal["crisis", "urgent", "routine"], int] = {
        "crisis": 5,
        "urgent": 30,
        "routine": 240,
    }
    crisis_repeat_minutes: int = Field(5, ge=1)
    pause_after_timeouts: int = Field(2, ge=1)


class Ruleset(_Strict):
    version: int | None = None  # assigned on import
    pools: dict[str, PoolSpec] = {}
    rules: list[Rule] = Field(min_length=1)
    review: ReviewCopy | None = None
    sla: SlaSpec = Field(default_factory=SlaSpec)
    escalation: EscalationSpec = Field(default_factory=EscalationSpec)

    @model_validator(mode="after")
    def _consistent(self) -> Ruleset:
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique: {', '.join(duplicates)}")
        if ON_CALL_POOL in self.pools:
            raise ValueError(f"pool name '{ON_CALL_POOL}' is built in")
        known = set(self.pools) | {ON_CALL_POOL}
        for i, rule in enumerate(self.rules):
            for label, pool in (("pool", rule.route.pool), ("fallback", rule.route.fallback)):
                if pool is not None and pool not in known:
                    raise ValueError(f"rules[{i}] ({rule.name}): unknown {label} '{pool}'")
        if not self.rules[-1].when.is_catch_all():
            raise ValueError("the last rule must be a catch-all (no `when`)")
        if self.review and self.review.pool not in self.pools:
            raise ValueError(f"review: unknown pool '{self.review.pool}'")
        return self

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def matches(rule: Rule, lead) -> bool:
    """`lead` is a LeadFacts (engine); a condition left out always holds."""
    when = rule.when

    def any_of(wanted, have) -> bool:
        return wanted is None or bool(set(wanted) & set(have))

    return (
        (when.urgency is None or lead.urgency in when.urgency)
        and any_of(when.conditions, lead.conditions)
        and (when.veteran is None or lead.veteran == when.veteran)
        and (when.language is None or (lead.language or "en") in when.language)
        and any_of(when.flags, lead.flags)
        and (when.channel is None or lead.channel in when.channel)
        and (when.referring_practice is None or (lead.organization or "") in when.referring_practice)
        and (when.region is None or (lead.region or "") in when.region)
    )


def first_match(ruleset: Ruleset, lead) -> Rule:
    for rule in ruleset.rules:
        if matches(rule, lead):
            return rule
    return ruleset.rules[-1]  # unreachable: the last rule is a catch-all


def assign_versions(new: Ruleset, previous: Ruleset | None, version: int) -> Ruleset:
    """Keep each unchanged rule's version; bump a changed one; a new rule starts at 1."""
    before = {r.name: r for r in previous.rules} if previous else {}

    def content(rule: Rule) -> str:
        return json.dumps(rule.model_dump(exclude={"version"}), sort_keys=True)

    rules = []
    for rule in new.rules:
        old = before.get(rule.name)
        if old is None:
            number = 1
        elif content(old) == content(rule):
            number = old.version
        else:
            number = old.version + 1
        rules.append(rule.model_copy(update={"version": number}))
    return new.model_copy(update={"rules": rules, "version": version})


def default_ruleset() -> Ruleset:
    return Ruleset.model_validate(yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8")))
