"""The page a coordinator's email links to: check the signed link, show the lead's state, and let
them act on it — acknowledge (which stops the SLA clock), take it over when it was escalated to
them, decline it (re-routed), or say the clinic cannot serve the person and record the
alternative offered (988, their primary care provider, another service). Rules: app/links.py.

The link alone shows no PHI and may only acknowledge: whoever holds an email may not be the
coordinator. Declining (re-routing, or closing as not eligible) needs a console session of the
person the link was sent to; without one, the page offers sign-in and comes back here.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shared.auth.sessions import csrf_matches, csrf_token_for
from shared.clock import utcnow
from shared.http.csrf import same_origin
from shared.http.deps import DbSession, session_from_cookie, signed_link
from shared.http.pages import NO_STORE, render_page
from shared.links import LinkInvalid

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import links
from services.routing.domain.lifecycle import ActionRefused

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(signed_link("the email's link names the lead and the person it was sent to"))],
)
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
    "signed_in_as_someone_else": "This link was sent to someone else. Sign out, then sign in as them.",
    "csrf_failed": "The form expired or came from another site. Open the link again.",
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


def _page_path(reference: str, token: str) -> str:
    return f"/console/leads/{quote(reference, safe='')}?{urlencode({'t': token})}"


def _sign_in_url(reference: str, token: str) -> str:
    return "/console/sign-in?" + urlencode({"next": _page_path(reference, token)})


@router.get("/console/leads/{reference}", response_class=HTMLResponse)
def open_lead(reference: str, request: Request, session: DbSession, t: str = "") -> HTMLResponse:
    signed_in = session_from_cookie(request, session)
    try:
        view = links.open_link(SqlRoutingRepository(session), reference, t, signed_in and signed_in[0])
    except LinkInvalid as exc:
        return _refused(exc)
    if view.recipient_signed_in:  # the link's own person, signed in: the console's full lead page
        return RedirectResponse(
            f"/console/lead/{quote(view.reference, safe='')}", status_code=303, headers=NO_STORE
        )
    return render_page(
        TEMPLATES,
        "link_lead.html",
        title=f"Lead {view.reference}",
        lead=view,
        token=t,
        base=f"/console/leads/{reference}",
        csrf_token=csrf_token_for(signed_in[1]) if signed_in else "",
        sign_in_url=_sign_in_url(reference, t),
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
    reference: str,
    request: Request,
    session: DbSession,
    t: str = Form(""),
    reason: str = Form(""),
    alternative: str = Form(""),
    csrf_token: str = Form(""),
):
    signed_in = session_from_cookie(request, session)
    if signed_in is not None and not (csrf_matches(signed_in[1], csrf_token) and same_origin(request)):
        return _refused(LinkInvalid("csrf_failed"))
    try:
        status = links.decline_by_link(
            SqlRoutingRepository(session),
            reference,
            t,
            reason,
            alternative,
            utcnow(),
            signed_in and signed_in[0],
        )
    except LinkInvalid as exc:
        if exc.code == "sign_in_required":
            return RedirectResponse(_sign_in_url(reference, t), status_code=303, headers=NO_STORE)
        return _refused(exc)
    except ActionRefused as exc:
        return render_page(
            TEMPLATES, "link_message.html", exc.status, title="Not done", message=f"{exc.message}."
        )
    return _result(reference, status)
