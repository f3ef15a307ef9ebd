"""Supervisors' console pages: /console/dashboard (the day's figures and the trends, as
server-drawn SVG charts with their tables), /console/escalations (in flight), /console/spam (the
held leads; release and discard are routing's forms) and /console/audit (the audit viewer, by
lead, person and dates). Signed-in supervisors only. Rules: app/oversight.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from shared.clock import utcnow
from shared.http.deps import DbSession, console_session
from shared.http.staff import refusal, signed_in_staff, staff_page, to_sign_in

from services.console.adapters.audit_store import SqlAuditStore
from services.console.adapters.desk_store import SqlLeadDesk
from services.console.app import oversight
from services.console.domain.lifecycle_words import STATUS_WORDS
from services.console.domain.queue import countdown

router = APIRouter(
    include_in_schema=False,
    dependencies=[Depends(console_session("a supervisor's signed-in console session"))],
)
TEMPLATES = Path(__file__).resolve().parent / "templates"
SUPERVISORS_ONLY = "This page is for supervisors."
PERIODS = (1, 7, 30, 90)
PALETTE = ("#0b4f9c", "#b3541e", "#1f7a3a", "#7a2e8a", "#8a6d00", "#3e4c59", "#9c1b4a")
SPAM_DONE = {"release": "Released: the lead is routed now.", "discard": "Discarded: closed as spam."}
SPAM_PROBLEMS = {"not_held": "That lead is no longer held for spam review."}


def _supervisor(request: Request, db):
    staff = signed_in_staff(request, db)
    if staff is None:
        return None, to_sign_in(request)
    if not staff.supervisor:
        return None, refusal(staff, 403, SUPERVISORS_ONLY)
    return staff, None


@router.get("/console/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, db: DbSession, days: int = Query(7)):
    staff, answer = _supervisor(request, db)
    if answer is not None:
        return answer
    days = days if days in PERIODS else 7
    view = oversight.dashboard(SqlLeadDesk(db), utcnow(), days)
    return staff_page(
        TEMPLATES, "dashboard.html", staff, title="Dashboard", d=view, periods=PERIODS, palette=PALETTE
    )


@router.get("/console/escalations", response_class=HTMLResponse)
def escalations_page(request: Request, db: DbSession):
    staff, answer = _supervisor(request, db)
    if answer is not None:
        return answer
    now = utcnow()
    return staff_page(
        TEMPLATES,
        "escalations.html",
        staff,
        title="Escalations in flight",
        rows=oversight.escalations(SqlLeadDesk(db)),
        countdown=lambda due: countdown(due, now),
        status_words=STATUS_WORDS,
    )


@router.get("/console/spam", response_class=HTMLResponse)
def spam_page(request: Request, db: DbSession, done: str = "", problem: str = ""):
    staff, answer = _supervisor(request, db)
    if answer is not None:
        return answer
    return staff_page(
        TEMPLATES,
        "spam.html",
        staff,
        title="Spam review",
        rows=oversight.spam_review(SqlLeadDesk(db)),
        done=SPAM_DONE.get(done, ""),
        problem=SPAM_PROBLEMS.get(problem, "That could not be done." if problem else ""),
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/console/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DbSession,
    lead: str = Query("", max_length=64),
    actor: str = Query("", max_length=320),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    before: int | None = Query(None, ge=1),
):
    staff, answer = _supervisor(request, db)
    if answer is not None:
        return answer
    query = oversight.AuditQuery(lead=lead, actor=actor, since=_day(since), until=_day(until))
    found = oversight.audit_trail(SqlLeadDesk(db), SqlAuditStore(db), query, before)
    bad_dates = [
        name for name, value in (("since", since), ("until", until)) if value and _day(value) is None
    ]
    next_url = None
    if found.next_before:
        next_url = str(request.url.include_query_params(before=found.next_before))
    return staff_page(
        TEMPLATES,
        "audit.html",
        staff,
        title="Audit trail",
        q={"lead": lead, "actor": actor, "since": since, "until": until},
        page=found,
        bad_dates=bad_dates,
        next_url=next_url,
    )
