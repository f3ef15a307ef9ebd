"""The held-out set (tests/data/triage_holdout.jsonl): 173 cases written from TRIAGE_POLICY.md alone,
before the rule files were read. Its first score is in docs/triage.md. Misses it revealed were then
fixed as general rules, so it is no longer fully unseen: its gates (in test_labeled_sets.py) guard against
regressions; docs/triage.md has both figures.
"""

from pathlib import Path

from services.triage.scoring import load_cases

HOLDOUT = Path(__file__).resolve().parents[1] / "data" / "triage_holdout.jsonl"


def test_holdout_has_spanish_cases():
    cases = load_cases(HOLDOUT)
    assert sum("spanish_language" in c["expected"]["flags"] for c in cases) >= 15
