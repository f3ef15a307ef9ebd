"""The held-out set (tests/data/triage_holdout.jsonl): 173 cases written from TRIAGE_POLICY.md alone,
before the rule files were read. Its first score is in docs/triage.md. Misses it revealed were then
fixed as general rules, so it is no longer fully unseen: these gates guard against regressions, with
some margin below what the rules reach now (see docs/triage.md for both figures).
"""

from pathlib import Path

import pytest

from shared.triage.scoring import load_cases, score

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "triage_holdout.jsonl"


@pytest.fixture(scope="module")
def report():
    return score(load_cases(HOLDOUT))


def test_holdout_is_large_and_varied():
    cases = load_cases(HOLDOUT)
    assert len(cases) >= 150
    assert {c["channel"] for c in cases} == {"web", "phone", "referral"}
    assert sum("spanish_language" in c["expected"]["flags"] for c in cases) >= 15
    assert sum(c["expected"]["urgency"] == "crisis" for c in cases) >= 15


def test_holdout_no_crisis_missed_and_no_under_triage(report):
    assert report.crisis_recall == 1.0
    assert report.under_triage_rate == 0.0


def test_holdout_condition_macro_f1(report):
    assert report.condition_macro_f1 >= 0.95


def test_holdout_urgency_flags_veteran_primary(report):
    assert report.urgency_accuracy >= 0.95
    assert report.flag_macro_f1 >= 0.95
    assert report.veteran.f1 >= 0.90
    assert report.primary_accuracy >= 0.95
