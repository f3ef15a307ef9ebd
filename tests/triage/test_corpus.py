"""The labeled corpus: the classifier must never miss a crisis and must keep condition F1 high."""

from pathlib import Path

import pytest

from shared.triage.scoring import load_cases, score

CORPUS = Path(__file__).resolve().parents[1] / "data" / "triage_corpus.jsonl"


@pytest.fixture(scope="module")
def report():
    return score(load_cases(CORPUS))


def test_corpus_is_large_and_varied():
    cases = load_cases(CORPUS)
    assert len(cases) >= 280
    channels = {c["channel"] for c in cases}
    assert channels == {"web", "phone", "referral"}
    assert sum("spanish_language" in c["expected"]["flags"] for c in cases) >= 30
    assert sum(not c["expected"]["conditions"] for c in cases) >= 20  # admin / non-clinical
    assert {c["expected"]["urgency"] for c in cases} == {"routine", "urgent", "crisis"}


def test_no_crisis_is_missed(report):
    assert report.crisis_recall == 1.0


def test_condition_macro_f1_at_least_090(report):
    assert report.condition_macro_f1 >= 0.90


def test_urgency_accuracy_and_under_triage(report):
    assert report.urgency_accuracy >= 0.95
    assert report.under_triage_rate <= 0.02


def test_flags_veteran_and_primary(report):
    assert report.flag_macro_f1 >= 0.90
    for name in ("pregnant", "treatment_resistant", "spanish_language", "interested_ketamine_infusion"):
        assert report.flags[name].f1 >= 0.90, name
    assert report.veteran.f1 >= 0.75
    assert report.primary_accuracy >= 0.85
