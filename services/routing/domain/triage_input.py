"""Builds the classifier's input from a stored lead, checking the structured fields on the way.

Stored details come from validated requests, but a corrupt or hand-edited row must fail loudly
(and, after the retry limit, land in manual triage) rather than be half-read by the classifier.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, StrictBool

from shared.screeners import ScreenerScores

from services.triage import TriageInput


class StructuredFields(ScreenerScores):
    model_config = ConfigDict(extra="ignore")  # other details (referrer, writing_for) are not triage input

    icd10_codes: list[str] = Field(default_factory=list, max_length=20)
    provider_urgency: Literal["routine", "urgent", "expedited"] | None = None
    date_of_birth: date | None = None
    veteran: StrictBool | None = None
    preferred_language: str | None = Field(None, max_length=8)
    message_date: date | None = None


def build_triage_input(text: str, channel: str, details: dict) -> TriageInput:
    fields = StructuredFields.model_validate(details)  # raises ValueError on corrupt data
    structured = fields.model_dump(exclude_none=True, mode="json")
    if not structured.get("icd10_codes"):
        structured.pop("icd10_codes", None)
    return TriageInput(text=text, channel=channel, structured=structured)
