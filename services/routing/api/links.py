"""The page a coordinator's email links to: check the signed link, show the lead's state, and let
them act on it — acknowledge (which stops the SLA clock), take it over when it was escalated to
them, decline it (re-routed), or say the clinic cannot serve the person and record the
alternative offered (988, their primary care provider, another service). Rules: app/links.py.

The link alone shows no PHI: whoever holds an email may not be the coordinator. Details need a
signed-in console session (the console is its own issue).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse

from shared.clock import utcnow
from shared.http.deps import DbSession
from shared.http.pages import render_page
from shared.links import LinkInvalid

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import links
from services.routing.domain.lifecycle import ActionRefused

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
REASON_WORDS = {
    "at_capacity": "I am at capacity",
    "out_of_office": "I am out of office",
    "specialty_mismatch": "Not my specialty",
    "language_mismatch": "Language needs another coordinator",
    "conflict_of_interest": "Conflict of interest",
    "other": "Other",
}
CANNOT_SERVE_WORDS = {
    "not_eligible_age": "Not eligible: age",
    "not_eligible_medical": "Not eligible: medical",
    "out_of_area": "Outside our area",
    "service_not_offered": "Service not offered",
    "insurance_not_accepted": "Insurance not accepted",
    "not_eligible_other": "Not eligible: other",
}
ALTERNATIVE_WORDS = {
    "988": "988 Suicide & Crisis Lifeline",
    "veterans_crisis_line": "Veterans Crisis Line",
    "primary_care": "Their primary care provider",
    "community_mental_health": "Community mental health center",
    "other_service": "Another service",
}
REFUSALS = {
    "link_expired": "This link has expired.",
    "link_not_for_you": "This lead is no longer assigned to you.",
}


def _refused(exc: LinkInvalid) -> HTMLResponse:
    return render_page(
        TEMPLATES,
        "link_message.html",
        403,
        title="Link not valid",
        message=REFUSALS.get(exc.code, "This link is not valid."),
    )


def _result(reference: str, status: str) -> HTMLResponse:
    return render_page(TEMPLATES, "link_result.html", title=f"Lead {reference}", status_words=status)


@router.get("/console/leads/{reference}", response_class=HTMLResponse)
def open_lead(reference: str, session: DbSession, t: str = "") -> HTMLResponse:
    try:
        view = links.open_link(SqlRoutingRepository(session), reference, t)
    except LinkInvalid as exc:
        return _refused(exc)
    return render_page(
        TEMPLATES,
        "link_lead.html",
        title=f"Lead {view.reference}",
        lead=view,
        token=t,
        base=f"/console/leads/{reference}",
        reasons=REASON_WORDS,
        cannot_serve=CANNOT_SERVE_WORDS,
        alternatives=ALTERNATIVE_WORDS,
    )


@router.post("/console/leads/{reference}/acknowledge", response_class=HTMLResponse)
def acknowledge_lead(reference: str, session: DbSession, t: str = Form("")) -> HTMLResponse:
    try:
        status = links.acknowledge_by_link(SqlRoutingRepository(session), reference, t, utcnow())
    except LinkInvalid as exc:
        return _refused(exc)
    return _result(reference, status)


@router.post("/console/leads/{reference}/decline", response_class=HTMLResponse)
def decline_lead(
    reference: str, session: DbSession, t: str = Form(""), reason: str = Form(""), alternative: str = Form("")
) -> HTMLResponse:
    try:
        status = links.decline_by_link(
            SqlRoutingRepository(session), reference, t, reason, alternative, utcnow()
        )
    except LinkInvalid as exc:
        return _refused(exc)
    except ActionRefused as exc:
        return render_page(
            TEMPLATES, "link_message.html", exc.status, title="Not done", message=f"{exc.message}."
        )
    return _result(reference, status)
