"""The lead page's action forms (the console's /console/lead/{reference}): acknowledge, claim,
decline with a reason, reassign, and contacted / scheduled / not eligible (with the alternative
offered) / closed. A signed-in coordinator or supervisor posts the form with the session's CSRF
token; the same use cases as the API decide (app/actions.py: 404 outside scope, 409 for a status
that does not allow it), then the browser goes back to the lead page (POST-redirect-GET) with a
code saying what happened. These live in routing, which owns the lead's state; the console shows
the page."""

from __future__ import annotations

from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from shared.clock import utcnow
from shared.errors import DomainError, validation_error
from shared.http.deps import DbSession, console_session
from shared.http.staff import STAFF_ROLES, redirect, refusal, signed_in_staff, to_sign_in

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.api.safety import ClinicalReviewIn, CrisisCheckIn, check_crisis_form
from services.routing.app import actions, safety
from services.routing.domain.lifecycle import is_cannot_serve

router = APIRouter(
    include_in_schema=False,
    dependencies=[
        Depends(console_session("a coordinator's or supervisor's signed-in console session (form + CSRF)"))
    ],
)
NO_LEAD = "There is no such lead, or it is not one you may act on."


def _lead_path(reference: str) -> str:
    return f"/console/lead/{quote(reference, safe='')}"


def _run(
    request: Request, session, reference: str, csrf_token: str, action: str, act, after: str | None = None
):
    staff = signed_in_staff(request, session)
    if staff is None:
        return to_sign_in(request, _lead_path(reference))
    if staff.caller.role not in STAFF_ROLES:
        return refusal(staff, 403, "This page is for coordinators and supervisors.")
    if not staff.form_ok(request, csrf_token):
        return refusal(staff, 403, "The form expired or came from another site. Open the lead again.")
    repo = SqlRoutingRepository(session)
    held = repo.lead_by_reference(reference)
    if held is None:
        return refusal(staff, 404, NO_LEAD)
    try:
        act(repo, staff.caller, held.id)
    except DomainError as exc:
        if exc.status == 404:
            return refusal(staff, 404, NO_LEAD)
        session.rollback()  # a refused action writes nothing
        return redirect(f"{_lead_path(reference)}?problem={quote(exc.code)}")
    return redirect(after or f"{_lead_path(reference)}?done={action}")


@router.post("/console/lead/{reference}/acknowledge", response_class=HTMLResponse)
def acknowledge(request: Request, reference: str, session: DbSession, csrf_token: str = Form("")):
    def act(repo, caller, lead_id):
        actions.acknowledge_lead(repo, caller, lead_id, utcnow())

    return _run(request, session, reference, csrf_token, "acknowledge", act)


@router.post("/console/lead/{reference}/claim", response_class=HTMLResponse)
def claim(request: Request, reference: str, session: DbSession, csrf_token: str = Form("")):
    def act(repo, caller, lead_id):
        actions.claim_lead(repo, caller, lead_id, None, utcnow())

    return _run(request, session, reference, csrf_token, "claim", act)


@router.post("/console/lead/{reference}/decline", response_class=HTMLResponse)
def decline(
    request: Request,
    reference: str,
    session: DbSession,
    reason: str = Form("", max_length=64),
    alternative: str = Form("", max_length=64),
    csrf_token: str = Form(""),
):
    """A reroute reason sends the lead to someone else (and the decliner back to their queue: the
    lead is usually out of their sight now); a cannot-serve reason closes it as not eligible with
    the alternative offered (and shows the lead again)."""

    def act(repo, caller, lead_id):
        offered = {"kind": alternative} if alternative else None
        actions.decline_lead(repo, caller, lead_id, reason, offered, utcnow())

    after = None if is_cannot_serve(reason) else "/console/queue?done=decline"
    return _run(request, session, reference, csrf_token, "decline", act, after=after)


@router.post("/console/lead/{reference}/reassign", response_class=HTMLResponse)
def reassign(
    request: Request,
    reference: str,
    session: DbSession,
    coordinator_id: str = Form("", max_length=64),
    csrf_token: str = Form(""),
):
    def act(repo, caller, lead_id):
        if caller.role != "supervisor":
            raise actions.not_found()
        try:
            target = UUID(coordinator_id)
        except ValueError:
            raise DomainError("no_such_coordinator", 422, "Choose an active coordinator") from None
        actions.reassign_lead(repo, caller, lead_id, target, utcnow())

    return _run(request, session, reference, csrf_token, "reassign", act)


@router.post("/console/lead/{reference}/status", response_class=HTMLResponse)
def set_status(
    request: Request,
    reference: str,
    session: DbSession,
    status: str = Form("", max_length=24),
    reason: str = Form("", max_length=64),
    alternative: str = Form("", max_length=64),
    csrf_token: str = Form(""),
):
    def act(repo, caller, lead_id):
        offered = {"kind": alternative} if alternative else None
        actions.set_lead_status(repo, caller, lead_id, status, reason or None, offered, utcnow())

    return _run(request, session, reference, csrf_token, "status", act)


@router.post("/console/lead/{reference}/crisis-check", response_class=HTMLResponse)
def crisis_check(
    request: Request,
    reference: str,
    session: DbSession,
    decision: str = Form("", max_length=16),
    urgency: str = Form("", max_length=16),
    reason: str = Form("", max_length=48),
    note: str = Form("", max_length=2000),
    csrf_token: str = Form(""),
):
    """Confirm or downgrade a possible crisis, signed in (the API's rules: app/safety.py)."""

    def act(repo, caller, lead_id):
        try:
            body = CrisisCheckIn(
                decision=decision, urgency=urgency or None, reason=reason, note=note.strip() or None
            )
        except ValidationError:
            raise validation_error([]) from None
        check_crisis_form(body)
        safety.decide_crisis_check(
            repo,
            caller,
            lead_id,
            decision=body.decision,
            urgency=body.urgency,
            reason=body.reason.value,
            note=body.note,
            now=utcnow(),
        )

    return _run(request, session, reference, csrf_token, "crisis-check", act)


@router.post("/console/lead/{reference}/clinical-review", response_class=HTMLResponse)
def clinical_review(
    request: Request,
    reference: str,
    session: DbSession,
    decision: str = Form("", max_length=16),
    reason: str = Form("", max_length=48),
    note: str = Form("", max_length=2000),
    csrf_token: str = Form(""),
):
    """The copied clinical reviewer's (or a supervisor's) decision on contraindications and warnings."""

    def act(repo, caller, lead_id):
        try:
            body = ClinicalReviewIn(decision=decision, reason=reason or None, note=note.strip() or None)
        except ValidationError:
            raise validation_error([]) from None
        safety.review_lead(
            repo,
            caller,
            lead_id,
            decision=body.decision.value,
            reason=body.reason.value if body.reason else None,
            note=body.note,
            now=utcnow(),
        )

    return _run(request, session, reference, csrf_token, "clinical-review", act)
