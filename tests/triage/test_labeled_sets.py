"""Gates on every labeled set in tests/data: the classifier never misses a crisis and never
under-triages on any of them, and keeps each set's accuracy above a floor set a margin below what
the rules reach now. Only each blind set's FIRST score (in docs/triage.md) was unseen; once its
misses were fixed with general rules, a set guards against regressions.

Issue 3's own bar — crisis recall 1.0 and condition macro-F1 >= 0.90 on the corpus — is the
corpus row's first two columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from services.triage.scoring import load_cases, score

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Floors:
    min_cases: int
    min_crisis_cases: int
    condition_f1: float
    flag_f1: float
    urgency_accuracy: float
    primary_accuracy: float
    veteran_f1: float
    # The learned opinion raises urgency when it is fairly sure (the higher level wins), which costs
    # some over-triage on sets written before the corpus existed: the ceiling is the bar (0.10).
    max_over_triage: float = 0.10


SETS = {
    # the development corpus (tuned on) and five sets written blind, from the policy alone.
    # Urgency accuracy floors sit a margin below the figures with the learned opinion (docs/triage.md).
    "triage_corpus": Floors(280, 30, 0.90, 0.90, 0.95, 0.85, 0.75),
    "triage_holdout": Floors(150, 15, 0.95, 0.95, 0.95, 0.95, 0.90),
    "triage_blind2": Floors(150, 20, 0.97, 0.90, 0.93, 0.97, 0.75),
    "triage_blind3": Floors(160, 45, 0.97, 0.90, 0.90, 0.95, 0.90),
    "triage_blind4": Floors(170, 45, 0.97, 0.93, 0.93, 0.92, 0.90),
    "triage_blind5": Floors(160, 40, 0.97, 0.96, 0.91, 0.95, 0.95),
}


@pytest.fixture(scope="module", params=sorted(SETS))
def labeled(request):
    cases = load_cases(DATA / f"{request.param}.jsonl")
    return SETS[request.param], cases, score(cases)


def test_every_set_is_large_and_covers_every_register(labeled):
    floors, cases, _report = labeled
    assert len(cases) >= floors.min_cases
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    assert sum(c["expected"]["urgency"] == "crisis" for c in cases) >= floors.min_crisis_cases
    assert {c["expected"]["urgency"] for c in cases} == {"routine", "urgent", "crisis"}


def test_no_crisis_is_missed_and_nothing_is_under_triaged(labeled):
    _floors, _cases, report = labeled
    assert report.crisis_recall == 1.0
    assert report.under_triage_rate == 0.0


def test_accuracy_stays_above_the_floors(labeled):
    floors, _cases, report = labeled
    assert report.condition_macro_f1 >= floors.condition_f1
    assert report.flag_macro_f1 >= floors.flag_f1
    assert report.urgency_accuracy >= floors.urgency_accuracy
    assert report.primary_accuracy >= floors.primary_accuracy
    assert report.veteran.f1 >= floors.veteran_f1
    assert report.over_triage_rate <= floors.max_over_triage


def test_every_data_file_is_gated():
    assert {p.stem for p in DATA.glob("triage_*.jsonl")} == set(SETS)
