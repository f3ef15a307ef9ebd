"""The second blind set (tests/data/triage_blind2.jsonl): 186 cases written from TRIAGE_POLICY.md
alone, deliberately unlike the earlier sets (long rambling messages, run-ons, all caps, typos,
Spanglish, dense call notes, multi-diagnosis letters, risk words in negated/family/idiomatic
context). Its first score is in docs/triage.md; crisis misses were then fixed with general rules, so
it is no longer unseen. Safety gates are hard; the others leave margin below the current figures.
"""

from pathlib import Path

import pytest

from shared.triage.scoring import load_cases, score

BLIND2 = Path(__file__).resolve().parents[1] / "data" / "triage_blind2.jsonl"


@pytest.fixture(scope="module")
def report():
    return score(load_cases(BLIND2))


def test_blind2_is_large_and_varied():
    cases = load_cases(BLIND2)
    assert len(cases) >= 150
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    assert sum(c["expected"]["urgency"] == "crisis" for c in cases) >= 20


def test_blind2_no_crisis_missed_and_no_under_triage(report):
    assert report.crisis_recall == 1.0
    assert report.under_triage_rate == 0.0


def test_blind2_accuracy_floors(report):
    assert report.condition_macro_f1 >= 0.97
    assert report.flag_macro_f1 >= 0.90
    assert report.primary_accuracy >= 0.97
    assert report.urgency_accuracy >= 0.97
    assert report.veteran.f1 >= 0.75
