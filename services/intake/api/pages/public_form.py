"""GET/POST /inquiry (and ?lang=es): the public inquiry form as an HTML page, for people reaching
out and for the clinic's own site to embed in an iframe (frame-ancestors: CAREROUTE_EMBED_ORIGINS).

It posts the JSON API's field names to the same intake as POST /v1/inquiries/web
(inquiries.take_web_inquiry): the same validation, risk screen, honeypot (`website`), minimum
fill-time token (`form_token`), duplicate check and consent record. A hidden `submission_id`,
new with each blank form, is the Idempotency-Key, so pressing Send twice (or reloading the
confirmation) gives one lead and the same reference. No cookie is used: the form works inside
another site's iframe. 988 and 911 are shown before and after sending.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from shared.errors import DomainError
from shared.http.deps import DbSession, public
from shared.http.pages import render_page

from services.intake.api.inquiries import PublicFormLimit, new_form_token, take_web_inquiry
from services.intake.api.pages.forms import field_messages, text_fields, while_first_in_flight, yes_no
from services.intake.api.pages.wording import FIELD_LABELS, FRIENDLY, TEXT
from services.intake.app import consent
from services.intake.domain.crisis import crisis_resources
from services.intake.domain.spam import FORM_TOKEN_FIELD, HONEYPOT_FIELD

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PATH = "/inquiry"
TEXT_FIELDS = (
    "name",
    "phone",
    "email",
    "message",
    "preferred_contact_method",
    "preferred_contact_time",
    "writing_for",
    "consent_version",
    HONEYPOT_FIELD,
    FORM_TOKEN_FIELD,
)
Public = [Depends(public("the public inquiry form (a page; embeddable)"))]


def _language(value: str | None) -> str:
    return "es" if value == "es" else "en"


def _page(lang: str, status: int = 200, *, values: dict | None = None, errors: dict | None = None, **extra):
    wording = consent.current(lang)
    return render_page(
        TEMPLATES,
        "inquiry.html",
        status,
        title=TEXT[lang]["title"],
        lang=lang,
        t=TEXT[lang],
        labels=FIELD_LABELS,
        crisis=crisis_resources(lang),
        consent_text=wording.text,
        consent_version=wording.version,
        form_token=extra.pop("form_token", None) or new_form_token(),
        submission_id=extra.pop("submission_id", None) or uuid.uuid4().hex,
        values=values or {},
        errors=errors or {},
        **extra,
    )


@router.get(PATH, response_class=HTMLResponse, dependencies=Public)
def inquiry_form(lang: str | None = None):
    return _page(_language(lang))


@router.post(PATH, response_class=HTMLResponse, dependencies=[*Public, PublicFormLimit])
async def submit_inquiry(request: Request, session: DbSession):
    form = await request.form()
    lang = _language(form.get("language") if isinstance(form.get("language"), str) else None)
    data: dict = text_fields(form, TEXT_FIELDS)
    data["consent_to_contact"] = form.get("consent_to_contact") == "yes"
    data["language"] = lang
    veteran = yes_no(form, "veteran")
    if veteran is not None:
        data["veteran"] = veteran
    submission = form.get("submission_id")
    key = (
        submission if isinstance(submission, str) and submission.isalnum() and len(submission) <= 64 else None
    )
    try:
        receipt = await _take(request, session, data, key)
    except DomainError as error:
        if error.status != 422:
            raise
        shown = {k: v for k, v in data.items() if k not in (HONEYPOT_FIELD, FORM_TOKEN_FIELD)}
        return _page(
            lang,
            422,
            values=shown,
            errors=field_messages(error, FRIENDLY[lang]),
            form_token=data.get(FORM_TOKEN_FIELD),  # the fill time counts from the first view
            submission_id=key,
        )
    return render_page(
        TEMPLATES,
        "inquiry_thanks.html",
        title=TEXT[lang]["thanks_title"],
        lang=lang,
        t=TEXT[lang],
        crisis=crisis_resources(lang),
        reference=receipt.body["reference"],
        risk=receipt.body.get("crisis_resources") is not None,  # the message screened positive
    )


async def _take(request: Request, session, data: dict, key: str | None):
    from starlette.concurrency import run_in_threadpool

    try:
        return await run_in_threadpool(while_first_in_flight, take_web_inquiry, request, session, data, key)
    except DomainError as error:
        if error.code != "idempotency_key_reused":
            raise
        # Back, edit, send again: a new submission; the duplicate check still guards twins.
        return await run_in_threadpool(take_web_inquiry, request, session, data, None)
