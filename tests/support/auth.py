"""Staff accounts and sessions for tests: make a user, sign in through the real pages, or open a
session directly (fast) and send the CSRF token and Origin a browser page would."""

from __future__ import annotations

import re
from uuid import UUID

from shared.auth import accounts
from shared.auth.sessions import FULL, csrf_token_for, session_cookie_name, start_session
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import Role, StaffUser

PASSWORD = "correct horse battery staple"
ORIGIN = "http://testserver"
_count = {"n": 0}


def make_user(
    role: str,
    *,
    email: str | None = None,
    coordinator_id: UUID | None = None,
    organization: str | None = None,
    password: str = PASSWORD,
    totp_secret: str | None = None,
) -> StaffUser:
    _count["n"] += 1
    with unit_of_work() as db:
        user = accounts.create_user(
            db,
            email=email or f"{role}{_count['n']}@clinic.example",
            display_name=f"Test {role}",
            role=Role(role),
            password=password,
            coordinator_id=coordinator_id,
            organization=organization,
            now=utcnow(),
        )
        if totp_secret:
            accounts.set_totp_secret(user, totp_secret)
    return user


def open_session(user: StaffUser) -> str:
    """A full session without the sign-in pages; returns the cookie's token."""
    with unit_of_work() as db:
        return start_session(db, user, FULL, utcnow(), None, "testclient")


def use_session(client, token: str) -> dict:
    """Put the session cookie on `client`; returns the headers a page's script would send."""
    client.cookies.set(session_cookie_name(), token)
    return {"X-CSRF-Token": csrf_token_for(token), "Origin": ORIGIN}


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_path: str = "", origin: str = ORIGIN):
    """Through the real form: GET the page (its CSRF cookie and field), POST the form."""
    page = client.get("/console/sign-in", params={"next": next_path} if next_path else None)
    return client.post(
        "/console/sign-in",
        data={"email": email, "password": password, "next": next_path, "csrf_token": form_token(page.text)},
        headers={"Origin": origin},
        follow_redirects=False,
    )
