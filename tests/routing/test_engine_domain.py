"""The routing engine's decisions, without a database: rules, strategies, availability, on-call, SLA."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from services.routing.domain.directory import Person, next_on_shift, on_shift, unavailable_reason
from services.routing.domain.documents import DocumentInvalid, parse_directory, parse_ruleset, snapshot
from services.routing.domain.engine import LeadFacts, decide, pick
from services.routing.domain.oncall import Layer, OnCall, Override, Schedule, coverage_gaps, on_call_at
from services.routing.domain.rules import Ruleset, assign_versions, default_ruleset
from services.routing.domain.sla import acknowledge_by, next_rung

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# Tuesday 2026-12-01, 10:00 in Los Angeles
NOON = datetime(2026, 12, 1, 10, 0, tzinfo=LA)


def person(name, **kw) -> Person:
    kw.setdefault("email", f"{name.lower()}@clinic.example")
    return Person(id=uuid4(), name=name, **kw)


def route(lead: LeadFacts, people, now=NOON, on_call=(), ruleset=None, seed=1, **kw):
    return decide(
        lead,
        people,
        ruleset or default_ruleset(),
        now,
        [OnCall(p, "test") for p in on_call],
        rng=random.Random(seed),
        **kw,
    )


# --- rules -----------------------------------------------------------------------------------


def test_crisis_goes_to_the_on_call_coordinator_at_any_hour_even_at_capacity():
    dana = person("Dana", open_leads=12, max_open_leads=12, working_hours=WEEKDAYS)
    riley = person("Riley")
    at_3am = datetime(2026, 12, 1, 3, 0, tzinfo=LA)
    decision = route(
        LeadFacts("crisis", ("depression",), "depression"), [dana, riley], at_3am, on_call=[dana]
    )
    assert decision.chosen is dana and decision.via == "pool" and decision.pool == "on_call"
    assert decision.text.startswith("rule crisis-on-call v1 matched; pool on_call")


def test_veteran_with_ptsd_goes_to_the_veterans_program_and_a_civilian_does_not():
    vet = person("Dana", programs=("veterans",), specialties=("ptsd",), open_leads=5)
    other = person("Sam", specialties=("ptsd",))
    lead = LeadFacts("routine", ("ptsd",), "ptsd", veteran=True)
    decision = route(lead, [vet, other])
    assert decision.chosen is vet and decision.rule.name == "veterans-ptsd"
    civilian = route(LeadFacts("routine", ("ptsd",), "ptsd", veteran=False), [vet, other])
    assert civilian.rule.name == "default" and civilian.chosen is other  # least loaded specialist


def test_spanish_goes_to_spanish_speakers():
    es = person("Alex", languages=("en", "es"), open_leads=6)
    en = person("Lee", languages=("en",))
    decision = route(LeadFacts("routine", language="es"), [es, en])
    assert decision.rule.name == "spanish" and decision.chosen is es


def test_ocd_goes_to_ocd_experienced_coordinators():
    ocd = person("Lee", specialties=("ocd", "anxiety"), open_leads=9)
    other = person("Sam", specialties=("depression",))
    decision = route(LeadFacts("routine", ("ocd",), "ocd"), [ocd, other])
    assert decision.rule.name == "ocd" and decision.chosen is ocd


def test_flags_that_need_review_copy_a_clinical_reviewer():
    sam = person("Sam", specialties=("depression",))
    morgan = person("Morgan", role="clinical_reviewer")
    decision = route(LeadFacts("routine", ("depression",), "depression", flags=("pregnant",)), [sam, morgan])
    assert decision.chosen is sam and decision.reviewers == [morgan] and decision.review_flags == ["pregnant"]
    assert "reviewer copied: Morgan (pregnant)" in decision.text
    plain = route(LeadFacts("routine", ("depression",), "depression"), [sam, morgan])
    assert plain.reviewers == []


RULES_BY_CONDITION = """
pools:
  a: {members: [a@clinic.example]}
  b: {members: [b@clinic.example]}
rules:
  - {name: channel, when: {channel: [referral]}, route: {pool: a}}
  - {name: practice, when: {referring_practice: [Harbor Psychiatry]}, route: {pool: a}}
  - {name: region, when: {region: [NV]}, route: {pool: a}}
  - {name: flags, when: {flags: [minor]}, route: {pool: a}}
  - {name: urgent, when: {urgency: [urgent]}, route: {pool: a}}
  - {name: everyone-else, route: {pool: b}}
"""


@pytest.mark.parametrize(
    "facts, rule",
    [
        (LeadFacts("routine", channel="referral"), "channel"),
        (LeadFacts("routine", channel="web", organization="Harbor Psychiatry"), "practice"),
        (LeadFacts("routine", region="NV"), "region"),
        (LeadFacts("routine", flags=("minor",)), "flags"),
        (LeadFacts("urgent"), "urgent"),
        (LeadFacts("routine", region="CA", organization="Elsewhere"), "everyone-else"),
    ],
)
def test_each_condition_kind_matches_and_first_match_wins(facts, rule):
    ruleset = parse_ruleset(RULES_BY_CONDITION)
    a, b = person("A", email="a@clinic.example"), person("B", email="b@clinic.example")
    decision = route(facts, [a, b], ruleset=ruleset)
    assert decision.rule.name == rule
    assert decision.chosen is (b if rule == "everyone-else" else a)


def test_fallback_pool_when_the_rule_pool_has_nobody_eligible():
    lee = person(
        "Lee", specialties=("ocd",), out_of_office=((NOON - timedelta(days=1), NOON + timedelta(days=1)),)
    )
    sam = person("Sam", specialties=("ocd", "depression"), open_leads=12, max_open_leads=12)
    riley = person("Riley", specialties=("depression",))
    # ocd pool: Lee away, Sam full; the fallback (everyone) has Riley.
    decision = route(LeadFacts("routine", ("ocd",), "ocd"), [lee, sam, riley])
    assert decision.chosen is riley and decision.via == "fallback"
    ruleset = default_ruleset()
    ruleset.rules[3].route.fallback = None
    waiting = route(LeadFacts("routine", ("ocd",), "ocd"), [lee, sam, riley], ruleset=ruleset)
    assert waiting.chosen is None and waiting.via == "wait" and "capacity" in waiting.wait_reason
    assert "skipped Lee (out of office until 2026-12-02 10:00), Sam (at capacity 12/12)" in decision.text


def test_rule_versions_bump_only_when_a_rule_changes():
    first = assign_versions(default_ruleset(), None, 1)
    assert {r.version for r in first.rules} == {1}
    changed = default_ruleset()
    changed.rules[2].route.strategy = "least_loaded"
    second = assign_versions(changed, first, 2)
    versions = {r.name: r.version for r in second.rules}
    assert versions["spanish"] == 2 and versions["ocd"] == 1 and second.version == 2


def test_rules_need_a_catch_all_and_known_pools():
    with pytest.raises(DocumentInvalid) as bad:
        parse_ruleset("rules:\n  - {name: x, when: {urgency: [crisis]}, route: {pool: nowhere}}\n", "r.yaml")
    text = "\n".join(bad.value.lines())
    assert "unknown pool 'nowhere'" in text and "r.yaml" in text


# --- strategies ------------------------------------------------------------------------------


def test_round_robin_takes_turns_by_least_recently_assigned():
    t0 = NOON - timedelta(hours=1)
    a = person("A", last_assigned_at=t0 + timedelta(minutes=2))
    b = person("B", last_assigned_at=t0)
    c = person("C", last_assigned_at=t0 + timedelta(minutes=1))
    assert pick("round_robin", [a, b, c], random.Random(1)) is b
    never = person("D")
    assert pick("round_robin", [a, b, c, never], random.Random(1)) is never


def test_least_loaded_compares_open_leads_against_capacity():
    busy = person("Busy", open_leads=6, max_open_leads=12)  # 50 %
    small = person("Small", open_leads=3, max_open_leads=4)  # 75 %
    free = person("Free", open_leads=4, max_open_leads=20)  # 20 %
    assert pick("least_loaded", [busy, small, free], random.Random(1)) is free


def test_weighted_gives_a_part_timer_half_the_leads():
    full = person("Full", weight=1.0)
    half = person("Half", weight=0.5)
    counts = Counter()
    people = {full.name: full, half.name: half}
    for _ in range(30):
        chosen = pick("weighted", list(people.values()), random.Random(len(counts)))
        counts[chosen.name] += 1
        people[chosen.name] = chosen.with_counts(new_today=chosen.new_today + 1)
    assert counts == {"Full": 20, "Half": 10}


def test_ties_are_broken_at_random_not_by_who_joined_first():
    a, b, c = person("A"), person("B"), person("C")
    rng = random.Random(7)
    wins = Counter(pick("round_robin", [a, b, c], rng).name for _ in range(300))
    assert set(wins) == {"A", "B", "C"} and min(wins.values()) > 60


# --- availability (a controllable clock) -----------------------------------------------------


def test_shift_is_judged_in_the_coordinators_own_time_zone():
    nyc = person("Nia", timezone="America/New_York", working_hours=WEEKDAYS)
    # 16:59 in New York is on shift; 17:00 is not (13:59 / 14:00 in Los Angeles).
    assert on_shift(nyc, datetime(2026, 12, 1, 16, 59, tzinfo=NY))
    assert not on_shift(nyc, datetime(2026, 12, 1, 14, 0, tzinfo=LA))
    assert unavailable_reason(nyc, datetime(2026, 12, 1, 17, 0, tzinfo=NY), "routine") == "off shift"
    # 08:59 Monday morning in New York is off; 09:00 on.
    assert not on_shift(nyc, datetime(2026, 11, 30, 8, 59, tzinfo=NY))
    assert on_shift(nyc, datetime(2026, 11, 30, 9, 0, tzinfo=NY))


def test_holidays_are_local_days():
    lee = person(
        "Lee",
        timezone="America/Los_Angeles",
        working_hours={"thu": [["00:00", "24:00"]], "fri": [["00:00", "24:00"]]},
        holidays=(date(2026, 12, 24),),
    )
    # 23:59 on 24 Dec in LA is the holiday; one minute later (25 Dec 00:00 LA, 08:00 UTC) is not.
    assert unavailable_reason(lee, datetime(2026, 12, 24, 23, 59, tzinfo=LA), "routine") == "on holiday"
    assert unavailable_reason(lee, datetime(2026, 12, 25, 8, 0, tzinfo=UTC), "routine") is None


def test_overnight_shift_and_dst_change():
    night = person("Noor", working_hours={"sat": [["22:00", "06:00"]]})
    assert on_shift(night, datetime(2026, 3, 8, 5, 30, tzinfo=LA))  # Sunday 05:30, after the DST jump
    assert not on_shift(night, datetime(2026, 3, 8, 6, 0, tzinfo=LA))


def test_no_working_hours_configured_means_always_on_shift():
    sam = person("Sam")
    assert on_shift(sam, datetime(2026, 12, 6, 3, 0, tzinfo=LA))  # a Sunday at 3 am


def test_routine_lead_waits_for_the_next_coordinator_on_shift_and_says_so():
    lee = person("Lee", working_hours=WEEKDAYS, specialties=("depression",))
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=LA)
    decision = route(LeadFacts("routine", ("depression",), "depression"), [lee], friday_night)
    assert decision.chosen is None
    assert decision.wait_until == datetime(2026, 12, 7, 9, 0, tzinfo=LA)  # Monday 09:00
    assert "next coordinator on shift at 2026-12-07 17:00 UTC" in decision.wait_reason
    urgent = route(
        LeadFacts("urgent", ("depression",), "depression"), [lee], friday_night, on_call=[person("Riley")]
    )
    assert urgent.chosen.name == "Riley" and urgent.via == "on_call"


def test_next_on_shift_skips_out_of_office_and_holidays():
    lee = person(
        "Lee",
        working_hours=WEEKDAYS,
        holidays=(date(2026, 12, 7),),
        out_of_office=((datetime(2026, 12, 8, 0, 0, tzinfo=LA), datetime(2026, 12, 8, 12, 0, tzinfo=LA)),),
    )
    assert next_on_shift(lee, datetime(2026, 12, 4, 20, 0, tzinfo=LA)) == datetime(
        2026, 12, 8, 12, 0, tzinfo=LA
    )


def test_licensed_regions_and_daily_limits():
    ca_only = person("Lee", regions=("CA",))
    assert unavailable_reason(ca_only, NOON, "routine", "NV") == "not licensed in NV"
    capped = person("Sam", max_new_per_day=5, new_today=5)
    assert unavailable_reason(capped, NOON, "routine") == "daily limit 5/5"
    paused = person("Pat", paused=True)
    assert unavailable_reason(paused, NOON, "routine") == "paused from routine leads"
    assert unavailable_reason(paused, NOON, "urgent") is None


# --- on-call schedule and coverage -----------------------------------------------------------


def test_on_call_rotation_layers_and_overrides():
    a, b, c = person("A"), person("B"), person("C")
    people = {p.id: p for p in (a, b, c)}
    start = datetime(2026, 11, 30, 9, 0, tzinfo=LA)
    base = Layer("weekly", start, 168, (a.id, b.id))
    nights = Layer("weeknights", start, 24, (c.id,), position=1, restrict_start="17:00", restrict_end="09:00")
    schedule = Schedule(
        (base, nights),
        (Override(b.id, datetime(2026, 12, 2, 12, 0, tzinfo=LA), datetime(2026, 12, 2, 13, 0, tzinfo=LA)),),
    )
    assert on_call_at(schedule, people, datetime(2026, 12, 1, 10, 0, tzinfo=LA))[0].person is a
    assert on_call_at(schedule, people, datetime(2026, 12, 1, 22, 0, tzinfo=LA))[0].person is c
    assert on_call_at(schedule, people, datetime(2026, 12, 2, 12, 30, tzinfo=LA))[0].person is b
    assert on_call_at(schedule, people, datetime(2026, 12, 8, 10, 0, tzinfo=LA))[0].person is b  # week 2


def test_coverage_gaps_are_found_exactly():
    a, b = (
        person("A"),
        person(
            "B",
            out_of_office=(
                (datetime(2026, 12, 9, 9, 0, tzinfo=LA), datetime(2026, 12, 10, 9, 0, tzinfo=LA)),
            ),
        ),
    )
    people = {a.id: a, b.id: b}
    start = datetime(2026, 11, 30, 9, 0, tzinfo=LA)
    schedule = Schedule((Layer("weekly", start, 168, (a.id, b.id)),))
    gaps = coverage_gaps(schedule, people, start, timedelta(days=14))
    assert len(gaps) == 1
    assert (gaps[0].start, gaps[0].end) == (
        datetime(2026, 12, 9, 9, 0, tzinfo=LA),
        datetime(2026, 12, 10, 9, 0, tzinfo=LA),
    )
    daytime_only = Schedule(
        (
            Layer(
                "days",
                start,
                168,
                (a.id,),
                restrict_days=("mon", "tue", "wed", "thu", "fri"),
                restrict_start="09:00",
                restrict_end="17:00",
            ),
        )
    )
    gaps = coverage_gaps(daytime_only, {a.id: a}, start, timedelta(days=1))
    assert [(g.start, g.end) for g in gaps] == [
        (datetime(2026, 11, 30, 17, 0, tzinfo=LA), start + timedelta(days=1))
    ]


# --- SLA and ladder --------------------------------------------------------------------------


def test_sla_per_urgency_and_end_of_next_business_day():
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=LA)
    assert acknowledge_by("crisis", friday) == friday + timedelta(minutes=5)
    assert acknowledge_by("urgent", friday) == friday + timedelta(hours=1)
    assert acknowledge_by("routine", friday) == datetime(2026, 12, 7, 17, 0, tzinfo=LA)  # Monday 17:00


def test_ladder_climbs_backup_then_supervisor_then_on_call_skipping_missing_rungs():
    sup, on_call = person("Pat", role="supervisor"), person("Riley")
    backup = person("Sam", active=False)
    owner = person("Dana", supervisor_id=sup.id, backup_id=backup.id)
    people = {p.id: p for p in (sup, on_call, backup, owner)}
    first = next_rung(0, people[owner.id], people, [on_call], NOON)
    assert (first.step, first.role, first.person) == (2, "supervisor", sup)  # inactive backup skipped
    second = next_rung(first.step, people[owner.id], people, [on_call], NOON)
    assert (second.step, second.role, second.person) == (3, "on_call", on_call)
    assert next_rung(second.step, people[owner.id], people, [on_call], NOON) is None


# --- documents -------------------------------------------------------------------------------


def test_directory_yaml_errors_name_the_line_and_field():
    text = """timezone: America/Los_Angeles
coordinators:
  - name: Dana
    email: dana@clinic.example
    hours: {mon-fri: "9-5"}
  - name: Lee
    email: lee@clinic.example
    backup: nobody@clinic.example
"""
    with pytest.raises(DocumentInvalid) as bad:
        parse_directory(text, "clinic.yaml")
    lines = bad.value.lines()
    assert any(line.startswith("clinic.yaml:5: coordinators[0].hours") for line in lines), lines


def test_directory_pager_phone_is_normalised_and_a_bad_one_names_its_line():
    good = "coordinators:\n  - name: Dana\n    email: dana@clinic.example\n    pager_phone: (949) 555-0142\n"
    assert parse_directory(good, "clinic.yaml").coordinators[0].pager_phone == "+19495550142"
    bad = "coordinators:\n  - name: Dana\n    email: dana@clinic.example\n    pager_phone: call me\n"
    with pytest.raises(DocumentInvalid) as caught:
        parse_directory(bad, "clinic.yaml")
    assert any("coordinators[0].pager_phone" in line for line in caught.value.lines())


def test_shipped_demo_directory_and_rules_parse(demo_dir):
    doc = parse_directory((demo_dir / "clinic.yaml").read_text(), "clinic.yaml")
    people, schedule = snapshot(doc)
    assert len(people) >= 6 and schedule.layers
    assert not coverage_gaps(schedule, {p.id: p for p in people}, NOON)
    ruleset = parse_ruleset((demo_dir / "rules.yaml").read_text(), "rules.yaml")
    assert isinstance(ruleset, Ruleset) and ruleset.rules[-1].when.is_catch_all()
