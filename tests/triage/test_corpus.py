"""The development corpus's own checks; the gates every set shares are in test_labeled_sets.py."""

from pathlib import Path

import pytest

from services.triage.scoring import load_cases, score

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


def test_key_flags_each_stay_above_090(report):
    for name in ("pregnant", "treatment_resistant", "spanish_language", "interested_ketamine_infusion"):
        assert report.flags[name].f1 >= 0.90, name
