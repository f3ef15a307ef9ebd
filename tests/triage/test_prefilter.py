"""The literal pre-filter may only skip a pattern that cannot match."""

import json
import re
from pathlib import Path

from services.triage.prefilter import may_match, prefilter_for, required_literals
from services.triage.rules import default_rules

DATA = Path(__file__).resolve().parents[1] / "data"


def test_required_literals_examples():
    assert required_literals(r"\bsuicide attempts?\b") == frozenset({"suicide attempt"})
    assert required_literals(r"\b(?:spravato|esketamine)\b") == frozenset({"spravato", "esketamine"})
    assert required_literals(r"(?-i:\bS/?I\b)") is None  # cannot tell: always runs
    assert prefilter_for([r"\bfoo\b", r"\w+"]) is None


def test_prefilter_never_skips_a_matching_pattern():
    texts = [
        json.loads(line)["text"]
        for name in ("triage_corpus.jsonl", "triage_holdout.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for spec in default_rules().targets:
        for pattern in spec.patterns:
            rx = re.compile(pattern, re.IGNORECASE)
            literals = prefilter_for([pattern])
            for text in texts:
                if rx.search(text):
                    assert may_match(literals, text.lower()), (spec.id, pattern)
