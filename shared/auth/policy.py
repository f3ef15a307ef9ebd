"""Deny by default: who may call a route, and who may read or act on which lead.

Two layers, both here so they are read in one place:
- **Route policies** (`RoutePolicy`): every route declares one through its dependencies (the
  caller dependency in shared/http/deps.py carries it, or `public(...)` / `signed_link(...)`).
  A test walks the app's routes and fails on a route without one.
- **Lead scope** (`read_access`, `may_act`): what a caller may do with one lead, decided from the
  lead's facts (`LeadScope`, loaded by shared/readmodel/lead_scope.py). Outside scope, the routes
  answer 404, exactly as for a lead that does not exist.

Scopes (docs/security.md has the matrix):
- coordinator: leads assigned to them, on their escalation ladder, where they hold a reviewer
  copy, or in a pool they belong to (the candidates the latest routing decision recorded);
- supervisor: the clinic's leads. One deployment is one clinic today, so that is every lead —
  `supervises()` is the seam for narrowing it (e.g. to the assigned coordinator's supervisor);
- call_center: the calls they logged (their key or account), for CAREROUTE_CALL_CENTER_READ_HOURS;
- provider: their organization's referrals (the organization comes from the key, account or SMART
  client, never a request body); status only, never the person's contact details or text spans —
  except that FHIR reads back the ServiceRequest the organization itself submitted
  (`fhir_read_access`);
- admin: no lead at all, except through a live break-the-glass grant on that lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from shared.caller import Caller, CallerKind
from shared.enums import Channel, LeadStatus, Role

ALL_ROLES = tuple(Role)


# --- route policies ------------------------------------------------------------------------------


class PolicyKind(StrEnum):
    roles = "roles"  # an API key, a signed-in session or a SMART access token with one of `roles`
    public = "public"  # anyone (the web form, health, the sign-in page)
    signed_link = "signed_link"  # a signed token in the URL or form is the credential
    signed_webhook = "signed_webhook"  # the provider's signature on the body is the credential
    session = "session"  # a signed-in console session (HTML pages)


@dataclass(frozen=True)
class RoutePolicy:
    kind: PolicyKind
    roles: tuple[Role, ...] = ()
    scope: str | None = None  # "lead" / "organization": object-level scope on top (404 outside)
    note: str = ""
    token_scope: str | None = None  # the SMART scope a token needs here; None: closed to tokens
    sessions: bool = True  # False: bearer credentials only (the FHIR API), the cookie is ignored

    def describe(self) -> str:
        if self.kind == PolicyKind.roles:
            text = ", ".join(r.value for r in self.roles)
            if self.scope:
                text += f" (scoped to the {self.scope})"
            if self.token_scope:
                text += f"; SMART token with {self.token_scope}"
            return text if self.sessions else text + "; no console session"
        return self.kind.value + (f": {self.note}" if self.note else "")


POLICY_ATTRIBUTE = "careroute_policy"


def mark(dependency, policy: RoutePolicy):
    """Attach `policy` to a dependency callable, where the route walker finds it."""
    setattr(dependency, POLICY_ATTRIBUTE, policy)
    return dependency


# --- lead scope ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadScope:
    """The facts about one lead that access decisions need (no PHI)."""

    lead_id: UUID
    channel: str
    organization: str | None
    created_at: datetime
    submitted_by_key_id: UUID | None
    submitted_by_user_id: UUID | None
    status: str
    owner_id: UUID | None  # the coordinator it is assigned to now
    ladder_ids: frozenset[UUID] = field(default_factory=frozenset)  # told by the escalation ladder
    reviewer_ids: frozenset[UUID] = field(default_factory=frozenset)  # clinical reviewer copies
    candidate_ids: frozenset[UUID] = field(default_factory=frozenset)  # the routing pool considered


class Relation(StrEnum):
    owner = "owner"
    ladder = "ladder"
    reviewer = "reviewer"
    pool = "pool"


class ReadVia(StrEnum):
    """How a PHI read was allowed, as the audit trail records it."""

    api_key = "api_key"
    session = "session"
    smart_client = "smart_client"  # a SMART Backend Services access token (FHIR routes only)
    break_glass = "break_glass"


@dataclass(frozen=True)
class ReadAccess:
    via: ReadVia
    phi: bool  # contact details and text spans; providers read status only


def relation(coordinator_id: UUID | None, scope: LeadScope) -> Relation | None:
    if coordinator_id is None:
        return None  # a coordinator key bound to nobody reads nothing
    if scope.owner_id == coordinator_id:
        return Relation.owner
    if coordinator_id in scope.ladder_ids:
        return Relation.ladder
    if coordinator_id in scope.reviewer_ids:
        return Relation.reviewer
    if coordinator_id in scope.candidate_ids:
        return Relation.pool
    return None


def supervises(caller: Caller, scope: LeadScope) -> bool:
    """One deployment serves one clinic, so a supervisor oversees all its leads. The seam for a
    multi-clinic deployment: compare the lead's clinic (or its coordinator's supervisor) here."""
    return caller.role == Role.supervisor


def submitted_by(caller: Caller, scope: LeadScope) -> bool:
    if caller.id is None:
        return False
    if caller.kind == CallerKind.api_key:
        return scope.submitted_by_key_id == caller.id
    if caller.kind == CallerKind.session:
        return scope.submitted_by_user_id == caller.id
    return False


def _via(caller: Caller) -> ReadVia:
    if caller.kind == CallerKind.session:
        return ReadVia.session
    if caller.kind == CallerKind.smart_client:
        return ReadVia.smart_client
    return ReadVia.api_key


def referral_organization(caller: Caller) -> str | None:
    """The practice a provider refers for and reads the referrals of: the one its key, account or
    SMART client is bound to, never one a request names. None: not a provider, or bound to none."""
    if caller.role != Role.provider or not caller.organization:
        return None
    return caller.organization


def read_access(
    caller: Caller, scope: LeadScope, now: datetime, *, call_center_hours: float, break_glass: bool
) -> ReadAccess | None:
    """May `caller` read this lead, and its PHI? None: outside their scope (answer 404)."""
    role = caller.role
    if role == Role.supervisor and supervises(caller, scope):
        return ReadAccess(_via(caller), phi=True)
    if role == Role.coordinator and relation(caller.coordinator_id, scope) is not None:
        return ReadAccess(_via(caller), phi=True)
    if role == Role.call_center and submitted_by(caller, scope):
        if now - scope.created_at <= timedelta(hours=call_center_hours):
            return ReadAccess(_via(caller), phi=True)
        return None
    if role == Role.provider and scope.channel == Channel.referral:
        organization = referral_organization(caller)
        same_org = organization is not None and organization == scope.organization
        if same_org or submitted_by(caller, scope):
            return ReadAccess(_via(caller), phi=False)
        return None
    if role == Role.admin and break_glass:
        return ReadAccess(ReadVia.break_glass, phi=True)
    return None


def fhir_read_access(
    caller: Caller, scope: LeadScope, recorded_organization: str, now: datetime
) -> ReadAccess | None:
    """May `caller` read a FHIR referral's ServiceRequest or Task? The same rule as reading the lead
    (a provider: their organization's referrals), and the organization recorded with the FHIR
    referral must be theirs too. None: 404. FHIR callers are providers only (keys and SMART
    clients), so no call-center window or break-the-glass applies."""
    if referral_organization(caller) != recorded_organization:
        return None
    return read_access(caller, scope, now, call_center_hours=0, break_glass=False)


def may_act(caller: Caller, scope: LeadScope, *, claim: bool = False) -> bool:
    """Acknowledge, decline, move the status on (and claim): a supervisor on any lead of the
    clinic; a coordinator on a lead they own or were told about by the ladder — and, to claim, one
    waiting in a pool they belong to. Reviewers may only look."""
    if caller.role == Role.supervisor:
        return supervises(caller, scope)
    if caller.role != Role.coordinator:
        return False
    found = relation(caller.coordinator_id, scope)
    if found in (Relation.owner, Relation.ladder):
        return True
    return claim and found == Relation.pool and scope.status == LeadStatus.waiting


def may_review(caller: Caller, scope: LeadScope) -> bool:
    """A clinical review of contraindications and warnings: a supervisor on any lead of the clinic,
    or the clinical reviewer copied on this lead."""
    if caller.role == Role.supervisor:
        return supervises(caller, scope)
    return caller.role == Role.coordinator and relation(caller.coordinator_id, scope) == Relation.reviewer


def may_read_routing(caller: Caller, scope: LeadScope) -> bool:
    """The routing history holds no PHI (codes, rule versions, staff names): admins read it to
    check their rules; coordinators and supervisors within their scope."""
    if caller.role == Role.admin:
        return True
    if caller.role == Role.supervisor:
        return supervises(caller, scope)
    return caller.role == Role.coordinator and relation(caller.coordinator_id, scope) is not None
