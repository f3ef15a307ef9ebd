"""A small clinic for access tests: Dana and Sam (coordinators), Pat (supervisor), Harbor
Psychiatry (a referring practice), one API key and one account per role, and Harbor's EHR as a
SMART Backend Services client with an access token. Leads (and FHIR referrals) are made directly
in the state a test needs (owner, status, pool, submitter, organization)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from shared.apikeys import create_api_key
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import (
    Classification,
    FhirReferral,
    FhirResource,
    Lead,
    LeadContact,
    LeadState,
    ReviewerCopy,
    Role,
    StaffUser,
)
from tests.factories import make_coordinator
from tests.support.auth import make_user, open_session, use_session

HARBOR = "Harbor Psychiatry"
ELSEWHERE = "Other Practice"
ROLES = ("provider", "call_center", "coordinator", "supervisor", "admin")
SMART_SCOPES = "system/ServiceRequest.cr system/Task.rs"  # all a SMART client can be granted


@dataclass
class Caller:
    role: str | None  # None: anonymous
    kind: str  # "key" | "session" | "smart" (a SMART access token) | "anonymous"
    key: str | None = None  # the API key, or the SMART access token
    key_id: UUID | None = None
    user: StaffUser | None = None

    @property
    def label(self) -> str:
        return "anonymous" if self.role is None else f"{self.role} {self.kind}"

    @property
    def column(self) -> str:
        """The access matrix's column: a role, `smart` or `anonymous`."""
        return "smart" if self.kind == "smart" else self.role or "anonymous"


@dataclass
class World:
    dana: object
    sam: object
    pat: object
    callers: list[Caller] = field(default_factory=list)
    smart_client_id: str = ""  # Harbor's EHR
    smart_key: object = None  # its private key (signs client assertions)

    def lead(
        self,
        owner=None,
        *,
        status: str = "routed",
        urgency: str = "routine",
        channel: str = "web",
        organization: str | None = None,
        by_key: UUID | None = None,
        by_user: UUID | None = None,
        candidates=(),
        created_at=None,
        crisis_check: str | None = None,
        clinical_review: str | None = None,
        reviewer=None,
    ) -> Lead:
        with unit_of_work() as db:
            lead = Lead(
                reference=f"R-{secrets.token_hex(4).upper()}",
                channel=channel,
                organization=organization,
                submitted_by_key_id=by_key,
                submitted_by_user_id=by_user,
                created_at=created_at or utcnow(),
            )
            db.add(lead)
            db.flush()
            db.add(
                LeadState(
                    lead_id=lead.id,
                    status=status,
                    urgency=urgency,
                    coordinator_id=owner.id if owner else None,
                    candidate_ids=[str(c.id) for c in candidates] or None,
                    acknowledged_at=utcnow() if status == "acknowledged" else None,
                    crisis_check=crisis_check,
                    clinical_review=clinical_review,
                )
            )
            if reviewer is not None:
                db.add(ReviewerCopy(lead_id=lead.id, coordinator_id=reviewer.id, flags=["warning:pregnancy"]))
            db.add(LeadContact(lead_id=lead.id, name="Casey Patient", phone="+19495550100", message="(test)"))
            db.add(
                Classification(
                    lead_id=lead.id,
                    conditions=["depression"],
                    primary_condition="depression",
                    urgency=urgency,
                    classifier_version="test",
                )
            )
        return lead

    def caller(self, role: str | None, kind: str = "key") -> Caller:
        return next(c for c in self.callers if c.role == role and (role is None or c.kind == kind))

    def mine(self, caller: Caller, **kw) -> Lead:
        """A lead inside this caller's scope (where the role has one), else someone else's."""
        if caller.role == "coordinator":
            return self.lead(self.dana, **kw)
        if caller.role == "call_center":
            by = {"by_key": caller.key_id} if caller.kind == "key" else {"by_user": caller.user.id}
            return self.lead(self.sam, channel="phone", **by, **kw)
        if caller.role == "provider":
            return self.lead(self.sam, channel="referral", organization=HARBOR, **kw)
        return self.theirs(**kw)

    def theirs(self, **kw) -> Lead:
        return self.lead(self.sam, **kw)

    def fhir_referral(self, organization: str) -> FhirReferral:
        """A referral as the FHIR intake stores it (lead, ids, the ServiceRequest for read-back)."""
        lead = self.lead(self.sam, channel="referral", organization=organization)
        with unit_of_work() as db:
            referral = FhirReferral(
                lead_id=lead.id,
                organization=organization,
                submitted_by="key:matrix",
                request_hash="0" * 64,
                service_request_id=uuid4(),
                priority="routine",
            )
            db.add(referral)
            db.flush()
            body = {"resourceType": "ServiceRequest", "status": "active", "intent": "order"}
            db.add(
                FhirResource(
                    id=referral.service_request_id,
                    referral_id=referral.id,
                    resource_type="ServiceRequest",
                    body=body,
                )
            )
        return referral


def build_world() -> World:
    dana = make_coordinator(name="Dana Reyes", email="dana@clinic.example")
    pat = make_coordinator(name="Pat Kim", email="pat@clinic.example", role="supervisor", specialties=[])
    sam = make_coordinator(name="Sam Ortiz", email="sam@clinic.example")
    world = World(dana=dana, sam=sam, pat=pat)
    bound = {"coordinator": dana.id, "supervisor": pat.id}
    for role in ROLES:
        organization = HARBOR if role == "provider" else None
        with unit_of_work() as db:
            row, key = create_api_key(
                db,
                Role(role),
                name=f"matrix {role}",
                organization=organization,
                coordinator_id=bound.get(role),
            )
        world.callers.append(Caller(role, "key", key=key, key_id=row.id))
        user = make_user(role, coordinator_id=bound.get(role), organization=organization)
        world.callers.append(Caller(role, "session", user=user))
    _add_smart_client(world)
    world.callers.append(Caller(None, "anonymous"))
    return world


_KEYS: list = []


def _ehr_key(make):
    """One RSA key per test process: generating a 2048-bit key for every world is slow."""
    if not _KEYS:
        _KEYS.append(make())
    return _KEYS[0]


def _add_smart_client(world: World) -> None:
    """Harbor's EHR, registered with its public key, holding a token with every grantable scope."""
    from shared.smart.clients import create_client
    from shared.smart.tokens import issue_access_token
    from tests.support.fhir import jwks_of, rsa_key

    world.smart_key = _ehr_key(rsa_key)
    with unit_of_work() as db:
        client = create_client(db, "Harbor EHR", HARBOR, jwks_of(world.smart_key))
        db.flush()
        world.smart_client_id = client.client_id
        token = issue_access_token(client, SMART_SCOPES)["access_token"]
    world.callers.append(Caller("provider", "smart", key=token))


def client_for(app, caller: Caller) -> tuple[TestClient, dict]:
    """A client carrying the caller's credential, and the headers its requests send. A session is
    opened fresh (actions like sign-out end it); unsafe requests carry its CSRF token and Origin."""
    client = TestClient(app)
    if caller.kind in ("key", "smart"):
        return client, {"Authorization": f"Bearer {caller.key}"}
    if caller.kind == "session":
        return client, use_session(client, open_session(caller.user))
    return client, {}
