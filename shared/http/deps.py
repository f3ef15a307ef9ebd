"""The FastAPI dependencies every router uses: the database session, the caller, route policies.

`DbSession`: one session per request, committed when the handler returns (before the response
is sent, so a 2xx means the data is durable) and rolled back when it raises. The caller is looked
up on the same session: one transaction per request.

`require_caller(*roles, scope=..., token_scope=..., sessions=...)`: who is calling — an API key
(`Authorization: Bearer cr_…`, for system integrations), a signed-in staff session (the console's
cookie) or a SMART Backend Services access token (`Authorization: Bearer <JWT>`, an EHR;
shared/smart/tokens.py) — refused (401 / 403) unless their role is one of `roles`. All resolve to
the same `Caller` and obey the same rules. A state-changing request authenticated by the cookie
also needs its CSRF token and our Origin (shared/http/csrf.py). A token is limited by its scopes:
it opens only a route whose `token_scope` it holds (the FHIR routes), anything else is 403
`insufficient_scope`. `sessions=False` makes a route bearer-only (the FHIR API is system to system:
the console's cookie is not consulted there). Object-level scope (404 outside) is decided in the
use cases with shared/auth/policy.py; `scope` records which ("lead", "organization").

Every route declares its policy: `require_caller` carries one; routes open to others say so with
`public(...)`, `signed_link(...)`, `signed_webhook(...)` or `console_session(...)`. A test walks
the app's routes (`declared_policies`) and fails on any route without one.

Handlers that use these are plain `def`: FastAPI runs them, and these dependencies, in its thread
pool, so database work never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from shared.apikeys import authenticate
from shared.auth.policy import POLICY_ATTRIBUTE, PolicyKind, RoutePolicy, mark
from shared.auth.sessions import FULL, csrf_matches, find_session, session_caller, session_cookie_name
from shared.caller import Caller
from shared.clock import utcnow
from shared.db import new_session
from shared.errors import DomainError
from shared.http.client_address import client_address
from shared.http.csrf import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, check_origin, csrf_refused
from shared.schema import Role
from shared.smart.tokens import authenticate_access_token

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NO_STORE_HEADERS = {"Cache-Control": "no-store"}


def _session() -> Iterator[Session]:
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit right after the handler returns, before the response goes out.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def _unauthorized(sessions: bool = True) -> DomainError:
    if not sessions:
        return DomainError(
            "unauthorized",
            401,
            "A valid API key or access token is required",
            detail="Send it as `Authorization: Bearer <key or token>`; a console session does not open it.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return DomainError(
        "unauthorized",
        401,
        "Sign in, or send a valid API key",
        detail="Send a key as `Authorization: Bearer <key>`, or sign in at /console/sign-in.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def session_from_cookie(request: Request, session: Session) -> tuple[Caller, str] | None:
    """A fully signed-in session's caller and its token, or None (no cookie, expired, partial)."""
    token = request.cookies.get(session_cookie_name())
    found = find_session(session, token, utcnow())
    if found is None or found[0].stage != FULL:
        return None
    return session_caller(found[1]), token


def bearer_caller(session: Session, presented: str) -> Caller | None:
    """An API key (`cr_…`) or a SMART access token (a JWT), or None."""
    if not presented:
        return None
    if presented.startswith("cr_"):
        return authenticate(session, presented)
    return authenticate_access_token(session, presented)


def caller_from(request: Request, session: Session, *, sessions: bool = True) -> Caller:
    """The caller from the Authorization header; without one, from the session cookie (unless the
    route is bearer-only). A header that is there but wrong never falls back to the cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, presented = header.partition(" ")
        caller = bearer_caller(session, presented.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            raise _unauthorized(sessions)
        return caller
    signed_in = session_from_cookie(request, session) if sessions else None
    if signed_in is None:
        raise _unauthorized(sessions)
    caller, token = signed_in
    if request.method not in SAFE_METHODS:
        if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
            raise csrf_refused("Send the session's CSRF token in the X-CSRF-Token header.")
        check_origin(request)
    return caller


def _insufficient_scope() -> DomainError:
    return DomainError(
        "insufficient_scope",
        403,
        "This access token's scopes do not allow this",
        headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
    )


def require_caller(
    *roles: Role, scope: str | None = None, token_scope: str | None = None, sessions: bool = True
) -> Callable[..., Caller]:
    """A dependency: the authenticated caller, if their role is one of `roles` (else 401 / 403).
    `scope` records the object-level scope the use case checks (404 outside): "lead" or
    "organization". A scope-limited caller (a SMART access token) also needs `token_scope`, e.g.
    "Task.r": a route that names none is closed to tokens. `sessions=False`: bearer credentials
    only, the console's cookie is not consulted (401 without a header)."""
    allowed = frozenset(roles)

    def dependency(request: Request, session: DbSession) -> Caller:
        caller = caller_from(request, session, sessions=sessions)
        if caller.scopes is not None and (token_scope is None or token_scope not in caller.scopes):
            raise _insufficient_scope()
        if caller.role not in allowed:
            raise DomainError("forbidden", 403, "Your role may not do this")
        return caller

    policy = RoutePolicy(PolicyKind.roles, tuple(roles), scope, token_scope=token_scope, sessions=sessions)
    return mark(dependency, policy)


def staff_page(*roles: Role, scope: str | None = None) -> Callable[..., Caller]:
    """A dependency for the console's HTML pages (call log, referral form): the signed-in staff
    member, if their role is one of `roles`. Pages are for people, so only the session cookie
    counts: an Authorization header gets 401 (API keys use the JSON API). Without a session, a
    303 to the sign-in page that comes back here. A state-changing request needs the session's
    CSRF token — form field `csrf_token` (a plain form) or header `X-CSRF-Token` (htmx) — and our
    Origin."""
    allowed = frozenset(roles)

    async def dependency(request: Request, session: DbSession) -> Caller:
        if request.headers.get("authorization") is not None:
            raise DomainError(
                "unauthorized", 401, "This page is for signed-in staff", detail="Use the JSON API with a key."
            )
        signed_in = await run_in_threadpool(session_from_cookie, request, session)
        if signed_in is None:
            back = request.url.path  # a POST comes back to the empty form: the session had expired
            raise DomainError(
                "sign_in_required",
                303,
                "Sign in first",
                headers={"Location": f"/console/sign-in?next={quote(back, safe='/')}", **NO_STORE_HEADERS},
            )
        caller, token = signed_in
        if request.method not in SAFE_METHODS:
            presented = request.headers.get(CSRF_HEADER)
            if presented is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
                presented = (await request.form()).get(CSRF_FIELD)  # parsed once: the handler reuses it
            if not csrf_matches(token, presented if isinstance(presented, str) else None):
                raise csrf_refused("The form expired or came from another page: open it again.")
            check_origin(request)
        if caller.role not in allowed:
            raise DomainError("forbidden", 403, "Your role may not open this page")
        return caller

    return mark(dependency, RoutePolicy(PolicyKind.roles, tuple(roles), scope, sessions=True))


def _declared(kind: PolicyKind, note: str) -> Callable[[], None]:
    def dependency() -> None:
        return None

    return mark(dependency, RoutePolicy(kind, note=note))


def public(note: str) -> Callable[[], None]:
    """Open to anyone: say why (`dependencies=[Depends(public("..."))]`)."""
    return _declared(PolicyKind.public, note)


def signed_link(note: str) -> Callable[[], None]:
    """A signed token in the URL or form is the credential (checked by the route's use case)."""
    return _declared(PolicyKind.signed_link, note)


def signed_webhook(note: str) -> Callable[[], None]:
    """The sender's signature over the body is the credential (checked by the route)."""
    return _declared(PolicyKind.signed_webhook, note)


def console_session(note: str) -> Callable[[], None]:
    """An HTML page for signed-in staff: it resolves the session itself (and redirects to sign-in)."""
    return _declared(PolicyKind.session, note)


def declared_policies(route) -> list[RoutePolicy]:
    """Every policy a route's dependencies carry (its own, its router's, its parameters'). `route`:
    an APIRoute or one of FastAPI's route contexts (`fastapi.routing.iter_route_contexts`)."""
    found: list[RoutePolicy] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        policy = getattr(dependant.call, POLICY_ATTRIBUTE, None)
        if policy is not None and policy not in found:
            found.append(policy)
        stack.extend(dependant.dependencies)
    return found


def client_ip(request: Request) -> str | None:
    """The real client address (behind CAREROUTE_TRUSTED_PROXIES, from X-Forwarded-For)."""
    return client_address(request)


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)
