"""The first router's decisions, without a database."""

from __future__ import annotations

import random
from collections import Counter
from uuid import uuid4

from services.routing.domain.router import CoordinatorInfo, LeadNeeds, choose_coordinator


def person(name, **kw) -> CoordinatorInfo:
    return CoordinatorInfo(id=uuid4(), name=name, **kw)


def test_specialty_match_then_least_loaded():
    lee = person("Lee", specialties=("ocd",), open_leads=5)
    sam = person("Sam", specialties=("ocd",), open_leads=2)
    ana = person("Ana", specialties=("depression",), open_leads=0)
    decision = choose_coordinator(LeadNeeds("routine", "ocd", ("ocd",)), [lee, sam, ana])
    assert decision.coordinator_name == "Sam"
    assert "specialty ocd: 2 of 3" in decision.reason and "least loaded → Sam (2/12)" in decision.reason


def test_crisis_goes_to_on_call_even_at_capacity():
    on_call = person("Dana", on_call=True, open_leads=12, max_open_leads=12)
    free = person("Riley", open_leads=0)
    decision = choose_coordinator(LeadNeeds("crisis", "depression", ("depression",)), [on_call, free])
    assert decision.coordinator_name == "Dana"
    assert decision.reason.startswith("crisis → on-call")


def test_veteran_with_ptsd_goes_to_the_veterans_program():
    vet = person("Dana", programs=("veterans",), specialties=("ptsd",), open_leads=4)
    other = person("Sam", specialties=("ptsd",))
    needs = LeadNeeds("routine", "ptsd", ("ptsd",), veteran=True)
    assert choose_coordinator(needs, [vet, other]).coordinator_name == "Dana"
    civilian = LeadNeeds("routine", "ptsd", ("ptsd",), veteran=False)
    assert choose_coordinator(civilian, [vet, other]).coordinator_name == "Sam"


def test_spanish_speakers_get_a_spanish_speaking_coordinator():
    es = person("Sam", languages=("en", "es"), open_leads=6)
    en = person("Lee", languages=("en",))
    assert choose_coordinator(LeadNeeds("routine", language="es"), [es, en]).coordinator_name == "Sam"


def test_full_coordinators_are_skipped_while_someone_has_room():
    full = person("Lee", specialties=("ocd",), open_leads=12, max_open_leads=12)
    room = person("Sam", open_leads=11)
    decision = choose_coordinator(LeadNeeds("routine", "ocd", ("ocd",)), [full, room])
    assert decision.coordinator_name == "Sam"


def test_ties_are_broken_at_random_not_by_order():
    a, b, c = person("A"), person("B"), person("C")
    rng = random.Random(7)
    wins = Counter(choose_coordinator(LeadNeeds("routine"), [a, b, c], rng).coordinator_name for _ in range(300))
    assert set(wins) == {"A", "B", "C"} and min(wins.values()) > 60


def test_nobody_active_gives_no_decision():
    assert choose_coordinator(LeadNeeds("crisis"), []) is None
