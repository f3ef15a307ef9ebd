"""/refer: a referring provider's form, for practices without an EHR link, and /refer/{reference},
the referrer's status page.

Fields are the JSON API's (`referrer.npi`, `patient.name`, `diagnoses`, `screeners.phq9_total`…,
dotted for nesting) and go to the same use case as POST /v1/referrals (inquiries.take_referral):
the practice is the signed-in account's, never the form's. The NPI's check digit is verified
(domain/npi.py). Diagnoses: up to four ICD-10 codes, each field searching the bundled list of the
clinic's codes as the provider types (domain/icd10.py, a native datalist). PDF attachments are
checked by content before anything is stored (domain/pdf.py: the signature, the size limit, parses
with at least one page, no password) and stored encrypted with the lead in one transaction. After
sending, the provider lands on the status page (post/redirect/get), scoped to their practice.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from shared.auth.sessions import csrf_token_for, session_cookie_name
from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import DomainError
from shared.http.deps import DbSession, client_ip, staff_page
from shared.http.pages import render_page
from shared.schema import Role
from shared.settings import get_settings

from services.intake.adapters.attachments import SqlAttachmentStore
from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.api.inquiries import take_referral
from services.intake.api.pages.forms import field_messages, while_first_in_flight, yes_no
from services.intake.app.attachments import attach_pdfs
from services.intake.app.read_lead import read_lead
from services.intake.domain import icd10
from services.intake.domain.pdf import CheckedPdf, PdfRefused, check_pdf

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
REFER = "/refer"
Referrer = Annotated[Caller, Depends(staff_page(Role.provider, scope="organization"))]
DIAGNOSIS_FIELDS = 4
TEXT = (
    "referrer.name", "referrer.practice", "referrer.npi", "referrer.phone", "referrer.email",
    "patient.name", "patient.date_of_birth", "patient.phone", "patient.email", "patient.preferred_language",
    "reason", "requested_treatment", "requested_urgency",
)  # fmt: skip
SCORES = ("phq9_total", "phq9_item9", "gad7_total", "pcl5_total", "ybocs_total")
# Where a referral is, in words a referring practice understands (lead statuses, shared/enums.py).
PROGRESS = (
    ("received", "Received", ("received", "classified", "manual_triage", "waiting", "spam_review")),
    ("assigned", "With a care coordinator", ("routed", "notified", "acknowledged")),
    ("contacted", "Patient contacted", ("contacted",)),
    ("scheduled", "Appointment scheduled", ("scheduled",)),
    ("closed", "Closed", ("closed", "not_eligible")),
)


def _csrf(request: Request) -> str:
    return csrf_token_for(request.cookies.get(session_cookie_name(), ""))


def _page(
    request: Request, caller: Caller, status: int = 200, *, values=None, errors=None, submission_id=None
):
    settings = get_settings()
    return render_page(
        TEMPLATES,
        "refer.html",
        status,
        title="Refer a patient",
        csrf_token=_csrf(request),
        submission_id=submission_id or uuid.uuid4().hex,
        practice=caller.organization or "",
        codes=icd10.CODES,
        diagnosis_fields=DIAGNOSIS_FIELDS,
        scores=SCORES,
        max_mb=settings.referral_pdf_max_bytes // (1024 * 1024),
        max_files=settings.referral_pdf_max_files,
        values=values or {},
        errors=errors or {},
    )


@router.get(REFER, response_class=HTMLResponse)
def referral_form(request: Request, caller: Referrer):
    return _page(request, caller)


def _referral_body(form) -> tuple[dict, dict]:
    """(the JSON API body, the flat values to show again)."""
    flat = {name: v for name in TEXT if isinstance(v := form.get(name), str) and v.strip()}
    body: dict[str, Any] = {"referrer": {}, "patient": {}}
    for name, value in flat.items():
        if "." in name:
            group, field = name.split(".", 1)
            body[group][field] = value
        else:
            body[name] = value
    for group, field in (("patient", "veteran"), (None, "va_community_care")):
        answer = yes_no(form, f"{group}.{field}" if group else field)
        if answer is not None:
            (body[group] if group else body)[field] = answer
            flat[f"{group}.{field}" if group else field] = answer
    codes = [
        c.strip().upper() for i in range(DIAGNOSIS_FIELDS) if (c := form.get(f"diagnoses.{i}")) and c.strip()
    ]
    body["diagnoses"] = [
        {"code": c, **({"description": d} if (d := icd10.describe(c)) else {})} for c in codes
    ]
    flat.update({f"diagnoses.{i}": c for i, c in enumerate(codes)})
    scores = {}
    for name in SCORES:
        raw = form.get(f"screeners.{name}")
        if isinstance(raw, str) and raw.strip():
            flat[f"screeners.{name}"] = raw
            scores[name] = int(raw) if raw.strip().isdigit() else raw  # a non-number: the schema names it
    if scores:
        body["screeners"] = scores
    return body, flat


def _checked_files(form, errors: dict) -> list[tuple[str | None, CheckedPdf]]:
    settings = get_settings()
    uploads = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]
    if len(uploads) > settings.referral_pdf_max_files:
        errors["attachments"] = f"Attach at most {settings.referral_pdf_max_files} files."
        return []
    out = []
    for upload in uploads:
        data = upload.file.read(settings.referral_pdf_max_bytes + 1)
        try:
            out.append((upload.filename[:200], check_pdf(data, max_bytes=settings.referral_pdf_max_bytes)))
        except PdfRefused as refused:
            errors["attachments"] = f"{upload.filename[:80]}: {refused}"
    return out


@router.post(REFER, response_class=HTMLResponse)
async def submit_referral(request: Request, session: DbSession, caller: Referrer):
    form = await request.form()
    body, flat = _referral_body(form)
    errors: dict[str, str] = {}
    files = await run_in_threadpool(_checked_files, form, errors)
    submission = form.get("submission_id")
    key = (
        submission if isinstance(submission, str) and submission.isalnum() and len(submission) <= 64 else None
    )
    if not errors:
        try:
            receipt = await run_in_threadpool(
                while_first_in_flight, take_referral, request, session, caller, body, key
            )
        except DomainError as error:
            if error.status != 422:
                raise
            errors = field_messages(error)
    if errors:
        return _page(request, caller, 422, values=flat, errors=errors, submission_id=key)
    lead_id = uuid.UUID(str(receipt.body["lead_id"]))
    await run_in_threadpool(attach_pdfs, SqlAttachmentStore(session), lead_id, files)
    return RedirectResponse(
        f"{REFER}/{receipt.body['reference']}", 303, headers={"Cache-Control": "no-store"}
    )


@router.get(REFER + "/{reference}", response_class=HTMLResponse)
def referral_status(reference: str, request: Request, session: DbSession, caller: Referrer):
    """The referrer's status page: outside the practice (or no such reference) is 404; audited."""
    store = SqlAttachmentStore(session)
    lead_id = store.lead_id_by_reference(reference[:16])
    if lead_id is None:
        raise DomainError("not_found", 404, "No such referral")
    view, _access = read_lead(SqlIntakeRepository(session, client_ip(request)), caller, lead_id, utcnow())
    reached = next(i for i, step in enumerate(PROGRESS) if view.status in step[2] or step is PROGRESS[-1])
    return render_page(
        TEMPLATES,
        "refer_status.html",
        title=f"Referral {view.reference}",
        view=view,
        steps=[(label, i < reached, i == reached) for i, (_, label, _) in enumerate(PROGRESS)],
        not_eligible=view.status == "not_eligible",
        attachments=store.listed(lead_id),
    )
