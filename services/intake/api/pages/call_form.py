"""/console/calls/new: a call-center agent logs a live call.

As the agent types the note, htmx posts the draft (debounced) to /console/calls/preview, which
runs the triage preview (nothing stored) and answers a fragment: a crisis banner with the script
(stay on the line, warm-transfer to 988 — press 1 for veterans — 911 for immediate danger) when
risk shows, else a one-line summary. The C-SSRS screener is one click away (a <details>); its
answers go to the preview and are saved with the call (`screeners.cssrs` of the phone schema).
Verbal consent: the agent reads the wording shown and ticks that the caller agreed (recorded
with the agent's id as `heard_by`). Sending posts to the same use case as POST
/v1/inquiries/phone; the form's `submission_id` is the Idempotency-Key.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from shared.auth.sessions import csrf_token_for, session_cookie_name
from shared.caller import Caller
from shared.errors import DomainError
from shared.http.deps import DbSession, staff_page
from shared.http.pages import render_page
from shared.schema import Role
from shared.screeners import CssrsAnswers

from services.intake.api.inquiries import take_phone_inquiry
from services.intake.api.pages.forms import (
    checked,
    field_messages,
    text_fields,
    while_first_in_flight,
    yes_no,
)
from services.intake.app import consent
from services.intake.app.preview import preview
from services.intake.domain.crisis import crisis_resources
from services.intake.domain.intake import triage_details

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NEW = "/console/calls/new"
PREVIEW = "/console/calls/preview"
Agent = Annotated[Caller, Depends(staff_page(Role.call_center))]
TEXT_FIELDS = (
    "caller_name",
    "phone",
    "email",
    "notes",
    "caller_relationship",
    "language",
    "date_of_birth",
    "preferred_contact_method",
    "preferred_contact_time",
    "how_heard",
    "consent_version",
)
# The C-SSRS screener (Columbia Suicide Severity Rating Scale, screen version), as read aloud.
CSSRS_QUESTIONS = (
    ("wish_dead", "In the past month, have you wished you were dead or wished you could go to sleep and not wake up?"),
    ("active_thoughts", "In the past month, have you had any actual thoughts of killing yourself?"),
    ("method", "Have you been thinking about how you might do this?"),
    ("intent", "Have you had these thoughts and had some intention of acting on them?"),
    ("plan", "Have you started to work out, or worked out, the details of how to kill yourself? Do you intend to carry out this plan?"),
    ("behavior_3_months", "In the past 3 months, have you done anything, started to do anything, or prepared to do anything to end your life?"),
)  # fmt: skip
RISK_URGENCIES = ("crisis", "urgent")


def _csrf(request: Request) -> str:
    return csrf_token_for(request.cookies.get(session_cookie_name(), ""))


def _cssrs(form) -> dict:
    answers = {name: yes_no(form, f"cssrs_{name}") for name, _ in CSSRS_QUESTIONS}
    return {k: v for k, v in answers.items() if v is not None}


def _page(request: Request, status: int = 200, *, values=None, errors=None, submission_id=None, triage=None):
    wording = consent.current("en")
    return render_page(
        TEMPLATES,
        "call_new.html",
        status,
        title="Log a call",
        csrf_token=_csrf(request),
        submission_id=submission_id or uuid.uuid4().hex,
        consent_text=wording.text,
        consent_version=wording.version,
        questions=CSSRS_QUESTIONS,
        values=values or {},
        errors=errors or {},
        triage=triage,
    )


@router.get(NEW, response_class=HTMLResponse)
def new_call(request: Request, _agent: Agent):
    return _page(request)


@router.post(PREVIEW, response_class=HTMLResponse)
async def preview_call(request: Request, _agent: Agent):
    """The triage preview of the draft, as a fragment for htmx. Nothing is stored or logged."""
    form = await request.form()
    result = await run_in_threadpool(_preview, form)
    return render_page(TEMPLATES, "_call_triage.html", triage=result)


def _preview(form) -> dict | None:
    notes = form.get("notes")
    cssrs = _cssrs(form)
    if not (isinstance(notes, str) and notes.strip()) and not cssrs:
        return None
    language = form.get("language") if form.get("language") in ("en", "es") else None
    structured = triage_details(veteran=yes_no(form, "veteran"), preferred_language=language, cssrs=cssrs)
    result = preview(notes if isinstance(notes, str) else "", structured, language)
    result["risk"] = result["urgency"] in RISK_URGENCIES
    result["script_resources"] = crisis_resources("en")
    return result


@router.post(NEW, response_class=HTMLResponse)
async def log_call(request: Request, session: DbSession, agent: Agent):
    form = await request.form()
    data: dict = text_fields(form, TEXT_FIELDS)
    data["consent_to_contact"] = checked(form, "consent_to_contact")
    data.setdefault("notes", "")
    veteran = yes_no(form, "veteran")
    if veteran is not None:
        data["veteran"] = veteran
    cssrs = _cssrs(form)
    if cssrs:
        data["screeners"] = {"cssrs": CssrsAnswers(**cssrs).model_dump(exclude_none=True)}
    submission = form.get("submission_id")
    key = (
        submission if isinstance(submission, str) and submission.isalnum() and len(submission) <= 64 else None
    )
    try:
        receipt = await run_in_threadpool(
            while_first_in_flight, take_phone_inquiry, request, session, agent, data, key
        )
    except DomainError as error:
        if error.status != 422:
            raise
        triage = await run_in_threadpool(_preview, form)
        values = {**data, "cssrs": cssrs}
        return _page(
            request, 422, values=values, errors=field_messages(error), submission_id=key, triage=triage
        )
    body = receipt.body
    return render_page(
        TEMPLATES,
        "call_logged.html",
        title="Call logged",
        reference=body["reference"],
        risk=body.get("crisis_resources") is not None,
        script_resources=crisis_resources("en"),
    )
