"""Request and response bodies. Unknown fields are refused (no mass assignment of status,
urgency or assignee); every string has a length limit; validators never echo values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from shared.screeners import ScreenerScores

from services.intake.domain import normalize

Line = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(normalize.clean_line)]
ShortLine = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(normalize.clean_line)]
Message = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(normalize.clean_paragraphs)]
Phone = Annotated[str, Field(min_length=3, max_length=40), AfterValidator(normalize.normalize_phone)]
Email = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(normalize.normalize_email)]
BirthDate = Annotated[date, AfterValidator(normalize.check_birth_date)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1, e.g. en, es")]
ContactMethod = Literal["phone", "text", "email"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _ReachableMixin(_Strict):
    @model_validator(mode="after")
    def _needs_a_way_back(self):
        if not getattr(self, "phone", None) and not getattr(self, "email", None):
            raise ValueError("Give a phone number or an e-mail address so we can reach you.")
        return self


class WebInquiryIn(_ReachableMixin):
    """The public website form."""

    name: Line
    phone: Phone | None = None
    email: Email | None = None
    message: Message
    consent_to_contact: StrictBool
    preferred_contact_method: ContactMethod | None = None
    preferred_contact_time: ShortLine | None = None
    language: Language | None = None
    how_heard: Line | None = None
    date_of_birth: BirthDate | None = None
    veteran: StrictBool | None = None
    writing_for: Literal["self", "family_member", "friend", "other"] | None = None

    @model_validator(mode="after")
    def _consent_given(self):
        if self.consent_to_contact is not True:
            raise ValueError("consent_to_contact must be true so a coordinator may contact you.")
        return self


class PhoneInquiryIn(_ReachableMixin):
    """A call-center agent's log of a phone call."""

    caller_name: Line
    phone: Phone | None = None
    email: Email | None = None
    notes: Message
    caller_relationship: Literal["self", "parent", "spouse", "family_member", "friend", "other"] = "self"
    language: Language | None = None
    veteran: StrictBool | None = None
    date_of_birth: BirthDate | None = None
    preferred_contact_method: ContactMethod | None = None
    preferred_contact_time: ShortLine | None = None
    how_heard: Line | None = None


class DiagnosisIn(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$", max_length=8)]
    description: ShortLine | None = None


class ReferrerIn(_Strict):
    name: Line
    practice: Line
    npi: Annotated[str, Field(pattern=r"^[0-9]{10}$")] | None = None
    phone: Phone | None = None
    email: Email | None = None


class PatientIn(_ReachableMixin):
    name: Line
    date_of_birth: BirthDate | None = None
    phone: Phone | None = None
    email: Email | None = None
    preferred_language: Language | None = None
    veteran: StrictBool | None = None


class ReferralIn(_Strict):
    """A referring provider's referral (psychiatrist, primary care, the VA)."""

    referrer: ReferrerIn
    patient: PatientIn
    reason: Message
    diagnoses: Annotated[list[DiagnosisIn], Field(max_length=20)] = []
    screeners: ScreenerScores | None = None
    requested_treatment: Literal["spravato", "ketamine_infusion", "either", "unsure"] | None = None
    requested_urgency: Literal["routine", "urgent", "expedited"] | None = None
    va_community_care: StrictBool | None = None


class TriagePreviewIn(_Strict):
    """A call-center agent's draft note, classified while the caller is still on the line."""

    notes: Message
    veteran: StrictBool | None = None
    date_of_birth: BirthDate | None = None
    language: Language | None = None


class CrisisResource(BaseModel):
    name: str
    how: str


class CrisisResources(BaseModel):
    message: str
    resources: list[CrisisResource]


class AcceptedOut(BaseModel):
    lead_id: UUID
    reference: str
    status: str
    status_url: str
    crisis_resources: CrisisResources | None = None


class ClassificationOut(BaseModel):
    conditions: list[str]
    primary_condition: str | None
    urgency: str
    veteran: bool
    flags: list[str]
    evidence: list[dict] | None = None  # patient text spans: not shown to referrers
    classifier_version: str
    manual_triage: bool


class AssignmentOut(BaseModel):
    coordinator_id: UUID
    coordinator_name: str
    step: int
    reason: str
    assigned_at: datetime


class NotificationOut(BaseModel):
    id: UUID
    kind: str
    step: int
    status: str
    attempts: int
    sent_at: datetime | None


class ContactOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    message: str
    date_of_birth: str | None
    preferred_contact_method: str | None
    preferred_contact_time: str | None


class LeadOut(BaseModel):
    id: UUID
    reference: str
    channel: str
    status: str
    urgency: str | None
    created_at: datetime
    classification: ClassificationOut | None
    assignment: AssignmentOut | None
    notifications: list[NotificationOut]
    contact: ContactOut | None = None  # staff roles only


class TriagePreviewOut(BaseModel):
    conditions: list[str]
    primary_condition: str | None
    urgency: str
    veteran: bool
    flags: list[str]
    evidence: list[dict]
    classifier_version: str
    crisis_resources: CrisisResources | None
