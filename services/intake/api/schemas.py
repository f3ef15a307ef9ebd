"""Request and response bodies. Unknown fields are refused (no mass assignment of status,
urgency or assignee); every string has a length limit; validators never echo values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from shared.screeners import ScreenerScores

from services.intake.app import consent
from services.intake.domain import normalize
from services.intake.domain.npi import npi_is_valid

Line = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(normalize.clean_line)]
ShortLine = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(normalize.clean_line)]
Message = Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(normalize.clean_paragraphs)]
Phone = Annotated[str, Field(min_length=3, max_length=40), AfterValidator(normalize.normalize_phone)]
Email = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(normalize.normalize_email)]
BirthDate = Annotated[date, AfterValidator(normalize.check_birth_date)]
# The languages the clinic serves (crisis resources, triage, consent wordings): anything else is
# refused with this list, like every other enumerated field.
Language = Literal["en", "es"]
ContactMethod = Literal["call", "text", "email"]
ConsentVersion = Literal[consent.versions()]  # type: ignore[valid-type]  # folders in intake/consent/
Honeypot = Annotated[str, Field(max_length=2000, description="Leave empty: a field people never see")]
FormToken = Annotated[str, Field(max_length=200, description="From GET /v1/inquiries/web/form")]


def _check_npi(value: str) -> str:
    if not npi_is_valid(value):
        raise ValueError("The NPI's check digit does not match: check the number.")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _ReachableMixin(_Strict):
    @model_validator(mode="after")
    def _needs_a_way_back(self):
        phone, email = getattr(self, "phone", None), getattr(self, "email", None)
        if not phone and not email:
            raise ValueError("Give a phone number or an e-mail address so we can reach you.")
        method = getattr(self, "preferred_contact_method", None)
        if method in ("call", "text") and not phone:
            raise ValueError("A call or a text needs a phone number: give one, or choose email.")
        if method == "email" and not email:
            raise ValueError("Email needs an e-mail address: give one, or choose a call or a text.")
        return self


class _ConsentMixin(_Strict):
    @model_validator(mode="after")
    def _consent_given(self):
        if self.consent_to_contact is not True:
            raise ValueError("consent_to_contact must be true so a coordinator may contact you.")
        return self


class WebInquiryIn(_ReachableMixin, _ConsentMixin):
    """The public website form. `website` is the honeypot and `form_token` the minimum-fill-time
    token (services/intake/domain/spam.py); `consent_version` the wording the page showed."""

    name: Line
    phone: Phone | None = None
    email: Email | None = None
    message: Message
    consent_to_contact: StrictBool
    consent_version: ConsentVersion | None = None
    preferred_contact_method: ContactMethod | None = None
    preferred_contact_time: ShortLine | None = None
    language: Language | None = None
    how_heard: Line | None = None
    date_of_birth: BirthDate | None = None
    veteran: StrictBool | None = None
    writing_for: Literal["self", "family_member", "friend", "other"] | None = None
    website: Honeypot | None = None
    form_token: FormToken | None = None


class PhoneInquiryIn(_ReachableMixin, _ConsentMixin):
    """A call-center agent's log of a phone call. `consent_to_contact`: the agent read the consent
    wording (`consent_version`, default the current one) and the caller said yes."""

    caller_name: Line
    phone: Phone | None = None
    email: Email | None = None
    notes: Message
    consent_to_contact: StrictBool
    consent_version: ConsentVersion | None = None
    caller_relationship: Literal["self", "parent", "spouse", "family_member", "friend", "other"] = "self"
    language: Language | None = None
    veteran: StrictBool | None = None
    date_of_birth: BirthDate | None = None
    preferred_contact_method: ContactMethod | None = None
    preferred_contact_time: ShortLine | None = None
    how_heard: Line | None = None
    # Screeners the agent asked during the call (the C-SSRS screen; scores if the caller knows them).
    screeners: ScreenerScores | None = None


class DiagnosisIn(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$", max_length=8)]
    description: ShortLine | None = None


class ReferrerIn(_Strict):
    name: Line
    practice: Line
    npi: Annotated[str, Field(pattern=r"^[0-9]{10}$"), AfterValidator(_check_npi)] | None = None
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


class ConsentWordingOut(BaseModel):
    version: str
    language: str
    text: str


class FormOut(BaseModel):
    form_token: str  # send it back as `form_token`
    consent: ConsentWordingOut


class ConsentOut(BaseModel):
    wording_version: str
    wording_language: str
    channel: str
    given_at: datetime
    heard_by: str | None


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
    possible_crisis: bool = False
    possible_crisis_reasons: list[str] = []
    contraindications: list[str] = []  # Spravato/ketamine label contraindications (codes)
    warnings: list[str] = []  # label warnings and clinic policy (codes)


class DecisionOut(BaseModel):
    decision: str
    reason: str | None
    note: str | None  # PHI: staff only
    decided_by: str | None  # staff only
    coordinator_id: UUID | None
    decided_at: datetime
    urgency_after: str | None = None


class CrisisCheckOut(BaseModel):
    """A "possible crisis — confirm" lead: pending until a person confirms or downgrades it."""

    state: str
    reasons: list[str]
    classifier_urgency: str | None
    decision: DecisionOut | None


class ClinicalReviewOut(BaseModel):
    state: str
    contraindications: list[str]
    warnings: list[str]
    decisions: list[DecisionOut]


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
    consent: ConsentOut | None = None  # staff roles only
    spam_reason: str | None = None  # staff roles only: why the lead waits for spam review
    possible_crisis: bool = False  # on the crisis lane until confirmed or downgraded
    crisis_check: CrisisCheckOut | None = None
    clinical_review: ClinicalReviewOut | None = None


class TriagePreviewOut(BaseModel):
    conditions: list[str]
    primary_condition: str | None
    urgency: str
    veteran: bool
    flags: list[str]
    evidence: list[dict]
    classifier_version: str
    crisis_resources: CrisisResources | None
