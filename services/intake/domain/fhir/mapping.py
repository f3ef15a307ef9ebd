"""A checked FHIR submission → the same `Inquiry` the JSON referral makes (docs/fhir.md has the
table). The organization is the caller's, never the Bundle's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.intake.domain import normalize
from services.intake.domain.fhir.bundle import Item, Submission
from services.intake.domain.fhir.codes import (
    BCP47,
    ICD10CM,
    NPI,
    PRIORITY_TO_URGENCY,
    SNOMED,
    SNOMED_PATTERN,
    SNOMED_TO_ICD10,
    SOPT,
    TREATMENT_SYSTEM,
    TREATMENTS,
    VETERAN_STATUS_EXT,
    normalize_icd10,
)
from services.intake.domain.fhir.outcome import Issue, invalid
from services.intake.domain.fhir.screeners import read_screeners
from services.intake.domain.intake import Inquiry, triage_details

MAX_DIAGNOSES = 20
MAX_NARRATIVE = 10_000
NO_NARRATIVE = "Referral received through FHIR without narrative text; see its diagnoses and screeners."
SKIPPED_VERIFICATION = {"refuted", "entered-in-error"}


@dataclass
class Attachment:
    item: Item  # the DocumentReference it came in
    content_type: str
    data: bytes
    sha256: str


@dataclass
class MappedReferral:
    inquiry: Inquiry
    attachments: list[Attachment] = field(default_factory=list)
    priority: str | None = None


class _Collector:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def clean(self, fn, value: Any, where: str) -> Any:
        try:
            return fn(value)
        except ValueError as exc:  # our validators' messages never contain the value
            self.issues.append(Issue("value", where, str(exc)))
            return None


def _human_name(names: list | None) -> tuple[str | None, int | None]:
    ranked = sorted(enumerate(names or []), key=lambda p: p[1].use not in ("official", "usual", None))
    for i, name in ranked:
        text = name.text or " ".join([*(name.given or []), name.family or ""]).strip()
        if text:
            return text, i
    return None, None


def _telecom(c: _Collector, telecoms: list | None, where: str) -> tuple[str | None, str | None]:
    phone = email = None
    for j, point in enumerate(telecoms or []):
        if point.use == "old" or not point.value:
            continue
        at = f"{where}.telecom[{j}].value"
        if point.system in ("phone", "sms") and phone is None:
            phone = c.clean(lambda v: normalize.normalize_phone(v[:40]), point.value, at)
        elif point.system == "email" and email is None:
            email = c.clean(lambda v: normalize.normalize_email(v[:320]), point.value, at)
    return phone, email


def _patient(c: _Collector, item: Item) -> dict:
    model, at = item.model, item.path
    text, i = _human_name(model.name)
    name = c.clean(lambda v: normalize.clean_line(v[:200]), text, f"{at}.name[{i}]") if text else None
    if text is None:
        c.issues.append(Issue("required", f"{at}.name", "The patient's name is required."))
    before = len(c.issues)
    phone, email = _telecom(c, model.telecom, at)
    if phone is None and email is None and len(c.issues) == before:
        c.issues.append(
            Issue(
                "required", f"{at}.telecom", "Give the patient's phone or email so the clinic can reach them."
            )
        )
    birth = model.birthDate if isinstance(model.birthDate, date) else None  # partial dates are not ages
    if birth is not None:
        birth = c.clean(normalize.check_birth_date, birth, f"{at}.birthDate")
    language = None
    ranked = sorted(model.communication or [], key=lambda comm: comm.preferred is not True)
    for comm in ranked:
        for coding in comm.language.coding or []:
            tag = (coding.code or "").split("-")[0].lower()
            if coding.system in (None, BCP47) and len(tag) == 2 and tag.isalpha():
                language = language or tag
    veteran = None
    for ext in model.extension or []:
        if ext.url == VETERAN_STATUS_EXT and isinstance(ext.valueBoolean, bool):
            veteran = ext.valueBoolean
    state = next((a.state for a in model.address or [] if a.state and len(a.state) <= 16), None)
    return dict(
        name=name, phone=phone, email=email, birth=birth, language=language, veteran=veteran, state=state
    )


def _coverage(submission: Submission) -> tuple[bool | None, bool | None]:
    """Veteran status from a Coverage typed by the Source of Payment Typology: 32x is the VA
    (322, its care for non-veterans, excepted); 3212 is VA care outside the VA (community care)."""
    veteran = community = None
    for item in submission.of_type("Coverage"):
        if item.model.status in ("cancelled", "entered-in-error") or item.model.type is None:
            continue
        for coding in item.model.type.coding or []:
            code = coding.code or ""
            if coding.system == SOPT and code.startswith("32") and not code.startswith("322"):
                veteran = True
                community = community or code.startswith("3212")
    return veteran, community


def _referrer(c: _Collector, submission: Submission, organization: str) -> dict:
    requester = submission.service_request.model.requester
    found = submission.resolve(requester)
    role = found if found and found.resource_type == "PractitionerRole" else None
    person = found if found and found.resource_type == "Practitioner" else None
    org = found if found and found.resource_type == "Organization" else None
    if role is not None:
        person = submission.resolve(role.model.practitioner) or person
        org = submission.resolve(role.model.organization) or org
    name = None
    if person is not None:
        name, _ = _human_name(person.model.name)
    name = name or (role.model.practitioner.display if role and role.model.practitioner else None)
    name = name or getattr(requester, "display", None)
    practice = (org.model.name if org else None) or (
        role.model.organization.display if role and role.model.organization else None
    )
    referrer: dict = {"name": name, "practice": practice or organization}
    for source in (role, person, org):
        if source is None:
            continue
        phone, email = _telecom(c, source.model.telecom, source.path)
        if phone and not referrer.get("phone"):
            referrer["phone"] = phone
        if email and not referrer.get("email"):
            referrer["email"] = email
    if person is not None:
        for j, ident in enumerate(person.model.identifier or []):
            if ident.system == NPI and ident.value:
                if len(ident.value) == 10 and ident.value.isdigit():
                    referrer["npi"] = ident.value
                else:
                    c.issues.append(
                        Issue("value", f"{person.path}.identifier[{j}].value", "An NPI is 10 digits.")
                    )
    referrer["name"] = (
        c.clean(
            lambda v: normalize.clean_line(v[:200]),
            referrer["name"],
            f"{submission.service_request.path}.requester",
        )
        if referrer["name"]
        else None
    )
    return {k: v for k, v in referrer.items() if v}


def _codings(c: _Collector, concept: Any, where: str, icd: list[str], snomed: list[str]) -> None:
    for k, coding in enumerate(getattr(concept, "coding", None) or []):
        at = f"{where}.coding[{k}].code"
        if coding.system == ICD10CM:
            code = normalize_icd10(coding.code or "")
            if code is None:
                c.issues.append(Issue("code-invalid", at, "Not an ICD-10-CM code (e.g. F33.2)."))
            elif code not in icd:
                icd.append(code)
        elif coding.system == SNOMED:
            code = (coding.code or "").strip()
            if not SNOMED_PATTERN.match(code):
                c.issues.append(Issue("code-invalid", at, "Not a SNOMED CT concept id (6-18 digits)."))
            elif code in SNOMED_TO_ICD10:
                if SNOMED_TO_ICD10[code] not in icd:
                    icd.append(SNOMED_TO_ICD10[code])
            elif code not in snomed:
                snomed.append(code)


def _diagnoses(c: _Collector, submission: Submission) -> tuple[list[str], list[str]]:
    icd: list[str] = []
    snomed: list[str] = []
    sr = submission.service_request
    for i, reason in enumerate(sr.model.reasonCode or []):
        _codings(c, reason, f"{sr.path}.reasonCode[{i}]", icd, snomed)
    for item in submission.of_type("Condition"):
        status = item.model.verificationStatus
        codes = {coding.code for coding in (status.coding or [])} if status else set()
        if codes & SKIPPED_VERIFICATION:
            continue
        _codings(c, item.model.code, f"{item.path}.code", icd, snomed)
        if len(icd) > MAX_DIAGNOSES:
            c.issues.append(
                Issue("too-costly", f"{item.path}.code", f"At most {MAX_DIAGNOSES} diagnoses per referral.")
            )
            break
    return icd, snomed


def _narrative(c: _Collector, submission: Submission) -> str:
    sr = submission.service_request
    parts: list[tuple[str, str]] = []
    for i, reason in enumerate(sr.model.reasonCode or []):
        text = reason.text or "; ".join(cd.display for cd in reason.coding or [] if cd.display)
        if text:
            parts.append((text, f"{sr.path}.reasonCode[{i}]"))
    parts += [(n.text, f"{sr.path}.note[{i}].text") for i, n in enumerate(sr.model.note or []) if n.text]
    for item in submission.of_type("Condition"):
        parts += [
            (n.text, f"{item.path}.note[{i}].text") for i, n in enumerate(item.model.note or []) if n.text
        ]
    texts = [c.clean(lambda v: normalize.clean_paragraphs(v[: MAX_NARRATIVE + 1]), t, at) for t, at in parts]
    message = "\n\n".join(t for t in texts if t)
    if len(message) > MAX_NARRATIVE:
        c.issues.append(
            Issue(
                "too-costly", f"{sr.path}.note", f"Narrative text is limited to {MAX_NARRATIVE} characters."
            )
        )
    return message or NO_NARRATIVE


def _treatment(submission: Submission) -> str | None:
    concept = submission.service_request.model.code
    if concept is None:
        return None
    for coding in concept.coding or []:
        if coding.system == TREATMENT_SYSTEM and coding.code in TREATMENTS:
            return coding.code
    words = " ".join([concept.text or "", *(cd.display or "" for cd in concept.coding or [])]).lower()
    if "spravato" in words or "esketamine" in words:
        return "spravato"
    return "ketamine_infusion" if "ketamine" in words else None


def _attachments(c: _Collector, submission: Submission, max_bytes: int) -> list[Attachment]:
    out = []
    for item in submission.of_type("DocumentReference"):
        if item.model.status == "entered-in-error":
            continue
        for j, content in enumerate(item.model.content or []):
            at = f"{item.path}.content[{j}].attachment"
            attachment = content.attachment
            if (attachment.contentType or "").split(";")[0].strip().lower() != "application/pdf":
                c.issues.append(
                    Issue(
                        "not-supported", f"{at}.contentType", "Only application/pdf attachments are accepted."
                    )
                )
            elif attachment.data is None:
                c.issues.append(
                    Issue(
                        "not-supported", f"{at}.data", "Send the PDF inline as data (URLs are not fetched)."
                    )
                )
            elif len(attachment.data) > max_bytes:
                c.issues.append(
                    Issue("too-costly", f"{at}.data", f"Attachments are limited to {max_bytes} bytes.")
                )
            elif not attachment.data.startswith(b"%PDF-"):
                c.issues.append(Issue("value", f"{at}.data", "The data is not a PDF document."))
            else:
                digest = hashlib.sha256(attachment.data).hexdigest()
                out.append(Attachment(item, "application/pdf", attachment.data, digest))
    return out


def map_referral(submission: Submission, organization: str, max_attachment_bytes: int) -> MappedReferral:
    """Raises FhirError (422) with every issue found."""
    c = _Collector()
    patient = _patient(c, submission.patient)
    referrer = _referrer(c, submission, organization)
    icd, snomed = _diagnoses(c, submission)
    screeners, issues = read_screeners(submission)
    c.issues += issues
    message = _narrative(c, submission)
    attachments = _attachments(c, submission, max_attachment_bytes)
    if c.issues:
        raise invalid(c.issues)
    covered_veteran, community_care = _coverage(submission)
    priority = submission.service_request.model.priority
    birth: date | None = patient["birth"]
    details = triage_details(
        veteran=patient["veteran"] if patient["veteran"] is not None else covered_veteran,
        date_of_birth=birth,
        preferred_language=patient["language"],
        icd10_codes=icd,
        snomed_codes=snomed,
        provider_urgency=PRIORITY_TO_URGENCY.get(priority or ""),
        requested_treatment=_treatment(submission),
        va_community_care=community_care,
        referrer=referrer,
        state=patient["state"],
        **screeners,
    )
    inquiry = Inquiry(
        channel="referral",
        message=message,
        name=patient["name"],
        phone=patient["phone"],
        email=patient["email"],
        date_of_birth=birth.isoformat() if birth else None,
        language=patient["language"],
        organization=organization,
        details=details,
    )
    return MappedReferral(inquiry=inquiry, attachments=attachments, priority=priority)
