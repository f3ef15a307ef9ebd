"""CareRoute clinical triage: conditions, urgency, veteran status and routing flags for an inquiry.

See docs/triage.md. Rules live in services/triage/rules/*.yaml; every result records the version.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from .classifier import Classifier
from .jsonl import classify_jsonl
from .opinions import current_version
from .rules import default_rules
from .screen import screen_text_for_risk
from .types import TriageInput, TriageResult

# rules files + risk lexicons + learned artifact (see opinions.compose_version)
CLASSIFIER_VERSION: str = current_version()


_BUILD = threading.Lock()


@lru_cache(maxsize=1)
def _build() -> Classifier:
    return Classifier(default_rules())


def get_classifier() -> Classifier:
    """The process's classifier, built once (the lock keeps two threads from building it twice)."""
    with _BUILD:
        return _build()


def classify(inp: TriageInput) -> TriageResult:
    return get_classifier().classify(inp)


__all__ = [
    "CLASSIFIER_VERSION",
    "Classifier",
    "TriageInput",
    "TriageResult",
    "classify",
    "classify_jsonl",
    "get_classifier",
    "screen_text_for_risk",
]
