"""Supervisors' routing pages in the console: the directory with each coordinator's load and the
on-call schedule with its coverage gaps (GET /console/directory), and the spam-review decisions
(POST /console/spam/{reference}/release|discard; the list itself is the console's /console/spam).
Signed-in supervisors only; others get a page saying so."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from shared.clock import utcnow
from shared.errors import DomainError
from shared.http.deps import DbSession, console_session
from shared.http.staff import redirect, refusal, signed_in_staff, staff_page, to_sign_in

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import spam
from services.routing.domain.oncall import coverage_gaps, on_call_at, shifts

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(console_session("a supervisor's signed-in console session"))],
)
TEMPLATES = Path(__file__).resolve().parent / "templates"
SUPERVISORS_ONLY = "This page is for supervisors."
DAYS = 14


def _supervisor(request: Request, session):
    staff = signed_in_staff(request, session)
    if staff is None:
        return None, to_sign_in(request)
    if not staff.supervisor:
        return None, refusal(staff, 403, SUPERVISORS_ONLY)
    return staff, None


@router.get("/console/directory", response_class=HTMLResponse)
def directory_page(request: Request, session: DbSession):
    staff, answer = _supervisor(request, session)
    if answer is not None:
        return answer
    repo = SqlRoutingRepository(session)
    now = utcnow()
    people = repo.directory(now)
    by_id = {p.id: p for p in people}
    schedule = repo.schedule()
    return staff_page(
        TEMPLATES,
        "directory_page.html",
        staff,
        title="Directory and on-call",
        people=sorted(people, key=lambda p: (not p.active, p.name)),
        names={p.id: p.name for p in people},
        on_call=on_call_at(schedule, by_id, now),
        shifts=shifts(schedule, by_id, now),
        gaps=coverage_gaps(schedule, by_id, now),
        schedule=schedule,
        days=DAYS,
    )


def _decide(request: Request, session, reference: str, csrf_token: str, decide, done: str):
    staff, answer = _supervisor(request, session)
    if answer is not None:
        return answer
    if not staff.form_ok(request, csrf_token):
        return refusal(staff, 403, "The form expired or came from another site. Open the list again.")
    repo = SqlRoutingRepository(session)
    lead = repo.lead_by_reference(reference)
    if lead is None:
        return refusal(staff, 404, "There is no such lead.")
    try:
        decide(repo, staff.caller, lead.id, utcnow())
    except DomainError as exc:
        if exc.status == 404:
            return refusal(staff, 404, "There is no such lead.")
        session.rollback()
        return redirect(f"/console/spam?problem={quote(exc.code)}")
    return redirect(f"/console/spam?done={done}")


@router.post("/console/spam/{reference}/release", response_class=HTMLResponse)
def release(request: Request, reference: str, session: DbSession, csrf_token: str = Form("")):
    return _decide(request, session, reference, csrf_token, spam.release_lead, "release")


@router.post("/console/spam/{reference}/discard", response_class=HTMLResponse)
def discard(request: Request, reference: str, session: DbSession, csrf_token: str = Form("")):
    return _decide(request, session, reference, csrf_token, spam.discard_lead, "discard")
