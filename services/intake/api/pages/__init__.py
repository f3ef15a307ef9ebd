"""Intake's HTML forms: the public inquiry form (/inquiry), the call-center agent's call log
(/console/calls/new) and the provider's referral form (/refer). They post the JSON API's fields
to the same use cases as /v1/inquiries/web, /v1/inquiries/phone and /v1/referrals: intake owns
the lead, so its forms live here, whatever their URL."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from shared.errors import DomainError
from shared.http.pages import render_page

from services.intake.domain.crisis import crisis_resources

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
EMBEDDABLE_PATHS = frozenset({"/inquiry"})  # the clinic's site may frame these (CAREROUTE_EMBED_ORIGINS)


def routers() -> list[APIRouter]:
    from services.intake.api.pages import call_form, public_form, referral_form

    return [public_form.router, call_form.router, referral_form.router]


def _message(error: DomainError, *, crisis: bool) -> Response:
    if error.status == 303 and error.headers and "Location" in error.headers:
        return RedirectResponse(error.headers["Location"], 303, headers={"Cache-Control": "no-store"})
    message = f"{error.title}. {error.detail}" if error.detail else f"{error.title}."
    response = render_page(
        TEMPLATES,
        "message.html",
        error.status,
        title="Not sent" if crisis else "Not done",
        message=message,
        crisis=crisis_resources(None) if crisis else None,
    )
    response.headers.update({k: v for k, v in (error.headers or {}).items() if k.lower() != "location"})
    return response


def problem_renderers() -> dict:
    """Path prefix -> renderer (shared/http/problems.py): errors on these pages are pages. The
    public form's keep 988 and 911 on them (a throttled person still sees where to get help)."""
    return {
        "/inquiry": lambda error, extra: _message(error, crisis=True),
        "/console/calls": lambda error, extra: _message(error, crisis=False),
        "/refer": lambda error, extra: _message(error, crisis=False),
    }
