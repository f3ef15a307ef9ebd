"""Signed-in staff pages (the console's queue, lead page and supervisor views, and routing's
action forms and directory page): who is signed in, the sign-in redirect for anyone who is not,
the page every other role gets, and the CSRF check of a form.

The pages resolve the session themselves (their policy is `console_session`): an API key is not a
browser and opens none of them; without a full session they send the browser to sign-in and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session

from shared.auth.sessions import (
    FULL,
    csrf_matches,
    csrf_token_for,
    find_session,
    session_caller,
    session_cookie_name,
)
from shared.caller import Caller
from shared.clock import utcnow
from shared.http.csrf import same_origin
from shared.http.pages import NO_STORE, SHARED_TEMPLATES, render_page
from shared.schema import Role

STAFF_ROLES = (Role.coordinator, Role.supervisor)


@dataclass(frozen=True)
class Staff:
    caller: Caller
    token: str
    name: str

    @property
    def supervisor(self) -> bool:
        return self.caller.role == Role.supervisor

    @property
    def me(self) -> dict:
        """What the staff layout (_staff.html) shows: name, role, sign-out form token."""
        return staff_menu(self.name, self.caller.role, self.token)

    def form_ok(self, request: Request, presented: str) -> bool:
        return csrf_matches(self.token, presented) and same_origin(request)


def staff_menu(name: str, role: str, token: str) -> dict:
    """What the staff layout's header needs: who, their role, the sign-out form's token, and
    which pages to offer (the desk to coordinators and supervisors, oversight to supervisors)."""
    return {
        "name": name,
        "role": str(role),
        "csrf_token": csrf_token_for(token),
        "supervisor": role == Role.supervisor,
        "desk": role in STAFF_ROLES,
    }


def signed_in_staff(request: Request, db: Session) -> Staff | None:
    token = request.cookies.get(session_cookie_name())
    found = find_session(db, token, utcnow())
    if found is None or found[0].stage != FULL:
        return None
    return Staff(session_caller(found[1]), token, found[1].display_name)


def to_sign_in(request: Request, back: str | None = None) -> RedirectResponse:
    """To sign-in, and back here (or to `back`) after."""
    path = back or (request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return RedirectResponse(
        "/console/sign-in?" + urlencode({"next": path}), status_code=303, headers=NO_STORE
    )


def staff_page(folder: Path, name: str, staff: Staff, status_code: int = 200, **context) -> HTMLResponse:
    return render_page(folder, name, status_code, me=staff.me, **context)


def refusal(staff: Staff | None, status_code: int, message: str) -> HTMLResponse:
    """A staff page's refusal (404 outside scope, 403 for another role, a stale form) as a page."""
    titles = {403: "Not for your role", 404: "Not found", 409: "Not done", 422: "Not done"}
    return render_page(
        SHARED_TEMPLATES,
        "_staff_message.html",
        status_code,
        me=staff.me if staff else None,
        title=titles.get(status_code, "Not done"),
        message=message,
    )


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=NO_STORE)
