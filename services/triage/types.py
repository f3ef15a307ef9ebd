"""The triage classifier's input and output shapes (the API other services depend on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

CONDITIONS = (
    "depression",
    "ocd",
    "anxiety",
    "ptsd",
    "bipolar_depression",
    "chronic_pain",
    "other_mental_health",
)
FLAGS = (
    "treatment_resistant",
    "substance_use_active",
    "psychosis_history",
    "cardiovascular_risk",
    "pregnant",
    "minor",
    "spanish_language",
    "interested_spravato",
    "interested_ketamine_infusion",
    "insurance_question",
)
URGENCIES = ("routine", "urgent", "crisis")  # ascending
URGENCY_RANK = {u: i for i, u in enumerate(URGENCIES)}


@dataclass(frozen=True)
class TriageInput:
    text: str
    channel: str | None = None  # "web" | "phone" | "referral"
    structured: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TriageResult:
    conditions: list[str]  # sorted
    primary_condition: str  # a condition, or "none" when conditions is empty (the policy's word)
    urgency: str  # "crisis" | "urgent" | "routine"
    veteran: bool
    flags: list[str]  # sorted
    evidence: list[dict]  # JSON-serialisable, each with at least "label" and "source"
    version: str
    # The opinions disagreed about crisis (or the learned model's crisis probability passed its low
    # threshold while the result is lower): routing puts the lead on the crisis lane as "possible
    # crisis — confirm" (docs/routing.md).
    possible_crisis: bool = False
    # Spravato/ketamine label contraindications and warnings (eligibility.py): codes, kept apart
    # from `flags` (which score against the policy). Both send the lead to clinician review.
    contraindications: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON Lines row minus its id (the version is on `.version`)."""
        return {
            "conditions": list(self.conditions),
            "primary_condition": self.primary_condition,
            "urgency": self.urgency,
            "veteran": self.veteran,
            "flags": list(self.flags),
            "possible_crisis": self.possible_crisis,
            "evidence": [dict(e) for e in self.evidence],
        }
