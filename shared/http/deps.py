"""The two FastAPI dependencies every router uses: the database session and the caller.

`DbSession`: one session per request, committed when the handler returns (before the response
is sent, so a 2xx means the data is durable) and rolled back when it raises. The caller is looked
up on the same session: one transaction per request.

`require_caller(*roles)`: who is calling, from `Authorization: Bearer <API key>`, refused unless
their role is one of `roles`. A staff session (the console's cookie) is the next kind of caller:
it will be resolved here too, so routers keep asking only for a `Caller`.

Handlers that use these are plain `def`: FastAPI runs them, and these dependencies, in its thread
pool, so database work never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from shared.apikeys import authenticate
from shared.caller import Caller
from shared.db import new_session
from shared.errors import DomainError
from shared.http.client_address import client_address
from shared.schema import Role


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


def _unauthorized() -> DomainError:
    return DomainError(
        "unauthorized",
        401,
        "A valid API key is required",
        detail="Send it as `Authorization: Bearer <key>`.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def caller_from(request: Request, session: Session) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise _unauthorized()
    caller = authenticate(session, presented.strip())
    if caller is None:
        raise _unauthorized()
    return caller


def require_caller(*roles: Role) -> Callable[..., Caller]:
    """A dependency: the authenticated caller, if their role is one of `roles` (else 401 / 403)."""
    allowed = frozenset(roles)

    def dependency(request: Request, session: DbSession) -> Caller:
        caller = caller_from(request, session)
        if caller.role not in allowed:
            raise DomainError("forbidden", 403, "This key's role may not do this")
        return caller

    return dependency


def client_ip(request: Request) -> str | None:
    """The real client address (behind CAREROUTE_TRUSTED_PROXIES, from X-Forwarded-For)."""
    return client_address(request)


def request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)
