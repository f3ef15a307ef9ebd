"""Who is calling: an API key, a signed-in staff session (the console), a SMART client's access
token (an EHR, on the FHIR routes only), or the public edge.

A plain value built once per request by the `require_caller` dependency (shared/http/deps.py);
use cases take it to decide what the caller may see and do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from shared.enums import Role


class CallerKind(StrEnum):
    api_key = "api_key"
    session = "session"  # a signed-in console user
    public = "public"  # nobody signed in: the public web form
    smart_client = "smart_client"  # an EHR with a SMART Backend Services access token


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    id: UUID | None = None  # the API key's, the staff user's or the SMART client's id
    role: Role | None = None
    organization: str | None = None  # a provider's practice (key, account or SMART client): scopes reads
    coordinator_id: UUID | None = None  # the coordinator a coordinator or supervisor key acts as
    # What an OAuth access token allows ({"Task.r", "ServiceRequest.c", ...}); None: not limited
    # by scopes (an API key, a session). A scoped caller reaches only routes that name a scope it holds.
    scopes: frozenset[str] | None = None

    @property
    def actor(self) -> str:
        """How the audit trail names the caller."""
        if self.kind == CallerKind.api_key:
            return f"key:{self.id}"
        if self.kind == CallerKind.session:
            return f"user:{self.id}"
        if self.kind == CallerKind.smart_client:
            return f"smart:{self.id}"
        return "public"


PUBLIC = Caller(kind=CallerKind.public)
