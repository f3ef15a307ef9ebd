"""Triage of a draft note while the caller is still on the line (nothing is stored)."""

from __future__ import annotations

from services.intake.domain.crisis import crisis_resources
from services.triage import TriageInput, classify


def preview(notes: str, structured: dict, language: str | None) -> dict:
    result = classify(TriageInput(notes, "phone", structured))
    shows_resources = result.urgency in ("crisis", "urgent")
    return {
        "conditions": result.conditions,
        "primary_condition": result.primary_condition,
        "urgency": result.urgency,
        "veteran": result.veteran,
        "flags": result.flags,
        "evidence": result.evidence,
        "classifier_version": result.version,
        "crisis_resources": crisis_resources(language) if shows_resources else None,
    }
