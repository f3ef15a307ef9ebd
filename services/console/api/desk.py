"""The coordinator's desk pages: /console/queue (their open leads, live countdowns, filters) and
/console/lead/{reference} (everything about one lead, PHI included, audited), with the note and
call-attempt forms (POST, then redirect back: POST-redirect-GET). The lead's actions (acknowledge,
claim, decline, reassign, status) are routing's forms on the same page (routing/api/desk_actions.py).
Rules: app/desk.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from shared.clock import utcnow
from shared.errors import DomainError
from shared.http.deps import DbSession, client_ip, console_session
from shared.http.staff import STAFF_ROLES, redirect, refusal, signed_in_staff, staff_page, to_sign_in
from shared.schema import Role

from services.console.adapters.desk_store import SqlLeadDesk
from services.console.app import desk
from services.console.domain.lifecycle_words import (
    ALTERNATIVE_WORDS,
    CANNOT_SERVE_WORDS,
    CLOSE_WORDS,
    CONFIRM_WORDS,
    DONE_WORDS,
    DOWNGRADE_WORDS,
    NOT_SUITABLE_WORDS,
    PROBLEM_WORDS,
    REROUTE_WORDS,
    REVIEW_WORDS,
    STATUS_WORDS,
)
from services.console.domain.notes import CALL_OUTCOME_WORDS, NoteRefused
from services.console.domain.queue import CHANNEL_CHOICES, STATUS_CHOICES, URGENCY_CHOICES, Filters, countdown

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(console_session("a coordinator's or supervisor's signed-in console session"))],
)
TEMPLATES = Path(__file__).resolve().parent / "templates"
NOT_YOURS = "This page is for coordinators and supervisors."
NO_LEAD = "There is no such lead, or it is not one you may open."
STALE_FORM = "The form expired or came from another site. Open the lead again."


def lead_path(reference: str) -> str:
    return f"/console/lead/{quote(reference, safe='')}"


@router.get("/console/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    db: DbSession,
    urgency: str = "",
    status: str = "",
    channel: str = "",
    coordinator: str = "",
    done: str = "",
):
    staff = signed_in_staff(request, db)
    if staff is None:
        return to_sign_in(request)
    if staff.caller.role not in STAFF_ROLES:
        return refusal(staff, 403, NOT_YOURS)
    filters = Filters.parse(urgency, status, channel, coordinator)
    items = desk.queue(SqlLeadDesk(db), staff.caller, filters)
    now = utcnow()
    return staff_page(
        TEMPLATES,
        "queue.html",
        staff,
        title="Your queue" if staff.caller.role == Role.coordinator else "Every queue",
        items=items,
        filters=filters,
        countdown=lambda due: countdown(due, now),
        coordinators=SqlLeadDesk(db).coordinators() if staff.supervisor else [],
        urgencies=URGENCY_CHOICES,
        statuses=STATUS_CHOICES,
        channels=CHANNEL_CHOICES,
        status_words=STATUS_WORDS,
        lead_path=lead_path,
        done=DONE_WORDS.get(done, ""),
    )


@router.get("/console/lead/{reference}", response_class=HTMLResponse)
def lead_page(request: Request, reference: str, db: DbSession, done: str = "", problem: str = ""):
    staff = signed_in_staff(request, db)
    if staff is None:
        return to_sign_in(request)
    if staff.caller.role not in STAFF_ROLES:
        return refusal(staff, 403, NOT_YOURS)
    try:
        screen = desk.open_lead(SqlLeadDesk(db), staff.caller, reference, utcnow(), client_ip(request))
    except DomainError as exc:
        if exc.status == 404:
            return refusal(staff, 404, NO_LEAD)
        raise
    return staff_page(
        TEMPLATES,
        "lead.html",
        staff,
        title=f"Lead {screen.view.reference}",
        s=screen,
        lead=screen.view,
        page=screen.page,
        base=lead_path(screen.view.reference),
        done=DONE_WORDS.get(done, ""),
        problem=PROBLEM_WORDS.get(problem, "That could not be done." if problem else ""),
        coordinators=SqlLeadDesk(db).coordinators() if screen.may_reassign else [],
        reroute=REROUTE_WORDS,
        cannot_serve=CANNOT_SERVE_WORDS,
        alternatives=ALTERNATIVE_WORDS,
        confirm_reasons=CONFIRM_WORDS,
        downgrade_reasons=DOWNGRADE_WORDS,
        review_decisions=REVIEW_WORDS,
        not_suitable_reasons=NOT_SUITABLE_WORDS,
        close_reasons=CLOSE_WORDS,
        outcomes=CALL_OUTCOME_WORDS,
        status_words=STATUS_WORDS,
        now=utcnow(),
    )


def _write(request: Request, db, reference: str, csrf_token: str, anchor: str, write):
    staff = signed_in_staff(request, db)
    if staff is None:
        return to_sign_in(request, lead_path(reference))
    if staff.caller.role not in STAFF_ROLES:
        return refusal(staff, 403, NOT_YOURS)
    if not staff.form_ok(request, csrf_token):
        return refusal(staff, 403, STALE_FORM)
    try:
        write(staff)
    except NoteRefused as exc:
        return redirect(f"{lead_path(reference)}?problem={exc.field}_refused#{anchor}")
    except DomainError as exc:
        if exc.status == 404:
            return refusal(staff, 404, NO_LEAD)
        raise
    return redirect(f"{lead_path(reference)}?done={anchor}#{anchor}")


@router.post("/console/lead/{reference}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    reference: str,
    db: DbSession,
    body: str = Form("", max_length=8000),
    csrf_token: str = Form(""),
):
    def write(staff):
        desk.add_note(
            SqlLeadDesk(db), staff.caller, staff.name, reference, body, utcnow(), client_ip(request)
        )

    return _write(request, db, reference, csrf_token, "notes", write)


@router.post("/console/lead/{reference}/calls", response_class=HTMLResponse)
def log_call(
    request: Request,
    reference: str,
    db: DbSession,
    outcome: str = Form("", max_length=32),
    note: str = Form("", max_length=8000),
    csrf_token: str = Form(""),
):
    def write(staff):
        desk.log_call(
            SqlLeadDesk(db), staff.caller, staff.name, reference, outcome, note, utcnow(), client_ip(request)
        )

    return _write(request, db, reference, csrf_token, "calls", write)
