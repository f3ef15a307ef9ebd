"""Builds the classifier's input from a stored lead, checking the structured fields on the way.

Stored details come from validated requests, but a corrupt or hand-edited row must fail loudly
(and, after the retry limit, land in manual triage) rather than be half-read by the classifier.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from shared.triage import TriageInput


class _Cssrs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    wish_dead: StrictBool | None = None
    active_thoughts: StrictBool | None = None
    method: StrictBool | None = None
    intent: StrictBool | None = None
    plan: StrictBool | None = None
    behavior_3_months: StrictBool | None = None
    positive: StrictBool | None = None


class StructuredFields(BaseModel):
    model_config = ConfigDict(extra="ignore")  # other details (referrer, writing_for) are not triage input

    icd10_codes: list[str] = Field(default_factory=list, max_length=20)
    phq9_total: StrictInt | None = Field(None, ge=0, le=27)
    phq9_item9: StrictInt | None = Field(None, ge=0, le=3)
    gad7_total: StrictInt | None = Field(None, ge=0, le=21)
    pcl5_total: StrictInt | None = Field(None, ge=0, le=80)
    ybocs_total: StrictInt | None = Field(None, ge=0, le=40)
    cssrs: _Cssrs | None = None
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
