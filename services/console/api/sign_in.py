"""The sign-in pages: /console/sign-in (email and password), /console/sign-in/code (the TOTP
code), /console/mfa/enrol (set up the code: otpauth URI and a QR code drawn here), sign-out, and
the landing page that says who is signed in. Rules: app/sign_in.py.

Every form carries a CSRF token and is checked against our Origin. Before there is a session (the
sign-in form itself) the token is a random value also set in a short-lived cookie (double submit);
after, it is the session's synchronizer token.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from shared.auth import accounts, sessions
from shared.auth.sessions import csrf_matches, csrf_token_for
from shared.clock import utcnow
from shared.errors import DomainError
from shared.http.csrf import same_origin
from shared.http.deps import DbSession, client_ip, console_session, public
from shared.http.pages import NO_STORE, render_page
from shared.http.ratelimit import rate_limit
from shared.http.staff import staff_menu
from shared.schema import StaffSession, StaffUser

from services.console.app import sign_in as flow
from services.console.app.sign_in import Outcome, Step
from services.console.domain.review import HOME, safe_next

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
SIGN_IN = "/console/sign-in"
CODE = "/console/sign-in/code"
ENROL = "/console/mfa/enrol"
REFUSED = "The email, password or code is not right."


# Every password or code checked counts against the client address's sign-in budget
# (CAREROUTE_RATE_LIMIT_SIGN_IN, in Redis: shared across API processes), on top of the lockout
# with backoff per account and address (shared/auth/lockout.py). Showing a page is not counted.
sign_in_rate_limit = rate_limit("sign_in")
SIGN_IN_PATHS = (SIGN_IN, ENROL)  # their errors (a 429 among them) are pages: `sign_in_problem`

Public = [Depends(public("the sign-in form"))]
Partial = [Depends(console_session("a session whose second factor is due"))]
SignedIn = [Depends(console_session("a signed-in console session"))]
Attempt = [Depends(sign_in_rate_limit)]


def _redirect(path: str, token: str | None = None) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303, headers=NO_STORE)
    if token:
        response.set_cookie(sessions.session_cookie_name(), token, **sessions.cookie_options())
    return response


def _current(request: Request, db: Session) -> tuple[StaffSession, StaffUser, str] | None:
    token = request.cookies.get(sessions.session_cookie_name())
    found = sessions.find_session(db, token, utcnow())
    return (found[0], found[1], token) if found else None


def _refused(message: str, status: int = 403) -> HTMLResponse:
    return render_page(TEMPLATES, "message.html", status, title="Not done", message=message)


def sign_in_problem(error: DomainError, extra: dict) -> HTMLResponse:
    """An error on a sign-in page (its rate limit's 429, a malformed form) as a page, not JSON;
    registered for SIGN_IN_PATHS by the composition root. Keeps Retry-After."""
    message = f"{error.title}. {error.detail}" if error.detail else f"{error.title}."
    response = _refused(message, error.status)
    response.headers.update(error.headers or {})
    return response


def _form_ok(request: Request, token: str, presented: str) -> bool:
    return csrf_matches(token, presented) and same_origin(request)


def _after(step: Step, retry_page, form_status: int = 401) -> Response:
    if step.outcome == Outcome.locked:
        response = retry_page(f"Too many attempts. Try again in {step.retry_after} seconds.", 429)
        response.headers["Retry-After"] = str(step.retry_after)
        return response
    if step.outcome == Outcome.refused:
        return retry_page(REFUSED, form_status)
    target = {Outcome.code_due: CODE, Outcome.enrol_due: ENROL}.get(step.outcome, step.next_path)
    return _redirect(target, step.token)


# --- password -------------------------------------------------------------------------------------


def _sign_in_page(request: Request, next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    name = sessions.sign_in_cookie_name()
    value = request.cookies.get(name) or secrets.token_urlsafe(24)
    response = render_page(
        TEMPLATES, "sign_in.html", status, title="Sign in", csrf_token=value, next=next_path, error=error
    )
    response.set_cookie(name, value, max_age=3600, **sessions.cookie_options())
    return response


@router.get(SIGN_IN, response_class=HTMLResponse, dependencies=Public)
def sign_in_page(request: Request, db: DbSession, next: str = ""):
    current = _current(request, db)
    if current and current[0].stage == sessions.FULL:
        return _redirect(safe_next(next))
    return _sign_in_page(request, safe_next(next))


@router.post(SIGN_IN, response_class=HTMLResponse, dependencies=Public + Attempt)
def sign_in(
    request: Request,
    db: DbSession,
    email: str = Form("", max_length=320),
    password: str = Form("", max_length=1024),
    next: str = Form(""),
    csrf_token: str = Form(""),
):
    expected = request.cookies.get(sessions.sign_in_cookie_name()) or ""
    if not (expected and hmac.compare_digest(expected, csrf_token) and same_origin(request)):
        return _refused("The form expired or came from another site. Open the sign-in page again.")
    step = flow.sign_in_with_password(
        db,
        email,
        password,
        client_ip(request),
        next,
        utcnow(),
        old_token=request.cookies.get(sessions.session_cookie_name()),
    )
    return _after(step, lambda message, status: _sign_in_page(request, safe_next(next), message, status))


# --- second factor --------------------------------------------------------------------------------


def _code_page(token: str, error: str = "", status: int = 200) -> HTMLResponse:
    return render_page(
        TEMPLATES, "code.html", status, title="Enter your code", csrf_token=csrf_token_for(token), error=error
    )


@router.get(CODE, response_class=HTMLResponse, dependencies=Partial)
def code_page(request: Request, db: DbSession):
    current = _current(request, db)
    if current is None or current[0].stage != sessions.MFA:
        return _redirect(SIGN_IN)
    return _code_page(current[2])


@router.post(CODE, response_class=HTMLResponse, dependencies=Partial + Attempt)
def submit_code(
    request: Request, db: DbSession, code: str = Form("", max_length=16), csrf_token: str = Form("")
):
    current = _current(request, db)
    if current is None or current[0].stage != sessions.MFA:
        return _redirect(SIGN_IN)
    row, user, token = current
    if not _form_ok(request, token, csrf_token):
        return _refused("The form expired or came from another site. Sign in again.")
    step = flow.submit_code(db, row, user, code, client_ip(request), utcnow())
    return _after(step, lambda message, status: _code_page(token, message, status))


def _enrol_page(db: Session, user: StaffUser, token: str, error: str = "", status: int = 200) -> HTMLResponse:
    uri, svg = flow.enrolment(db, user)
    return render_page(
        TEMPLATES,
        "enrol.html",
        status,
        title="Set up two-step sign-in",
        uri=uri,
        qr_svg=svg,
        required=accounts.mfa_required(user),
        csrf_token=csrf_token_for(token),
        error=error,
    )


@router.get(ENROL, response_class=HTMLResponse, dependencies=Partial)
def enrol_page(request: Request, db: DbSession):
    current = _current(request, db)
    if current is None or current[0].stage not in (sessions.ENROL, sessions.FULL):
        return _redirect(SIGN_IN)
    if current[1].totp_secret:
        return _redirect(HOME)  # enrolled already; an admin resets it (`careroute user reset`)
    return _enrol_page(db, current[1], current[2])


@router.post(ENROL, response_class=HTMLResponse, dependencies=Partial + Attempt)
def confirm_enrolment(
    request: Request, db: DbSession, code: str = Form("", max_length=16), csrf_token: str = Form("")
):
    current = _current(request, db)
    if current is None or current[0].stage not in (sessions.ENROL, sessions.FULL):
        return _redirect(SIGN_IN)
    row, user, token = current
    if not _form_ok(request, token, csrf_token):
        return _refused("The form expired or came from another site. Sign in again.")
    step = flow.confirm_enrolment(db, row, user, code, client_ip(request), utcnow())
    return _after(step, lambda message, status: _enrol_page(db, user, token, message, status))


# --- signed in ------------------------------------------------------------------------------------


@router.get("/console", response_class=HTMLResponse, dependencies=SignedIn)
def landing(request: Request, db: DbSession):
    """A placeholder home for the console: who is signed in, and their two-step status."""
    current = _current(request, db)
    if current is None or current[0].stage != sessions.FULL:
        return _redirect(f"{SIGN_IN}?next=/console")
    row, user, token = current
    return render_page(
        TEMPLATES,
        "landing.html",
        title="CareRoute console",
        me=staff_menu(user.display_name, user.role, token),
        user=user,
        mfa=bool(user.totp_secret),
        csrf_token=csrf_token_for(token),
        expires_at=row.expires_at,
    )


@router.post("/console/sign-out", response_class=HTMLResponse, dependencies=SignedIn)
def sign_out(request: Request, db: DbSession, csrf_token: str = Form("")):
    current = _current(request, db)
    if current is not None:
        if not _form_ok(request, current[2], csrf_token):
            return _refused("The form expired or came from another site.")
        flow.sign_out(db, current[2], client_ip(request), utcnow())
    response = _redirect(SIGN_IN)
    response.delete_cookie(sessions.session_cookie_name(), **_cookie_scope())
    return response


def _cookie_scope() -> dict:
    options = sessions.cookie_options()
    return {key: options[key] for key in ("path", "secure", "httponly", "samesite")}
