"""API keys (Authorization: Bearer) for routing's endpoints, and who a key acts as."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from fastapi import Request

from shared.apikeys import Principal, authenticate
from shared.db import unit_of_work
from shared.errors import DomainError

from services.routing.adapters import repository as repo

ADMIN = {"admin"}
STAFF = {"coordinator", "supervisor", "admin"}
MANAGERS = {"supervisor", "admin"}


@dataclass(frozen=True)
class Actor:
    principal: Principal
    coordinator_id: UUID | None  # the coordinator a coordinator/supervisor key is bound to

    @property
    def role(self) -> str:
        return self.principal.role or ""

    @property
    def label(self) -> str:
        return self.principal.actor


def require(request: Request, roles: set[str]) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    unauthorized = DomainError("unauthorized", 401, "A valid API key is required",
                               detail="Send it as `Authorization: Bearer <key>`.",
                               headers={"WWW-Authenticate": "Bearer"})
    if scheme.lower() != "bearer" or not presented.strip():
        raise unauthorized
    with unit_of_work() as session:
        principal = authenticate(session, presented.strip())
        coordinator = repo.coordinator_for_key(session, principal.key_id) if principal else None
    if principal is None:
        raise unauthorized
    if principal.role not in roles:
        raise DomainError("forbidden", 403, "This key's role may not do this")
    return Actor(principal, coordinator.id if coordinator else None)
