"""API-key authentication (Authorization: Bearer) and role checks."""

from __future__ import annotations

from fastapi import Request

from shared.apikeys import Principal, authenticate
from shared.db import unit_of_work
from shared.errors import DomainError


def _unauthorized() -> DomainError:
    return DomainError(
        "unauthorized", 401, "A valid API key is required",
        detail="Send it as `Authorization: Bearer <key>`.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def principal_from(request: Request, allowed_roles: set[str]) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise _unauthorized()
    with unit_of_work() as session:
        principal = authenticate(session, presented.strip())
    if principal is None:
        raise _unauthorized()
    if principal.role not in allowed_roles:
        raise DomainError("forbidden", 403, "This key's role may not do this")
    return principal
