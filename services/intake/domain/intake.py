"""Receiving an inquiry: the decisions, with persistence behind a small interface.

The lead, its PHI, its `lead.received` event and the idempotency record are written by the caller
in ONE transaction, so the API never answers 202 for a lead that is not durable, and the broker is
never touched inside the request.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from shared.apikeys import Principal
from shared.errors import DomainError, FieldProblem
from shared.events import Event, LeadReceivedV1, ReferralStatusChangedV1
from shared.logging import get_logger

from services.intake.domain.crisis import crisis_resources

log = get_logger(__name__)

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


@dataclass
class Inquiry:
    channel: str
    message: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    date_of_birth: str | None = None
    language: str | None = None
    preferred_contact_method: str | None = None
    preferred_contact_time: str | None = None
    how_heard: str | None = None
    organization: str | None = None  # the referring practice, for provider scoping
    details: dict[str, Any] = field(default_factory=dict)  # structured fields for triage (PHI)


@dataclass
class Receipt:
    status_code: int
    body: dict
    replayed: bool = False


class IntakeRepository(Protocol):
    def try_lock_idempotency(self, scope: str, key: str) -> bool: ...
    def find_idempotency(self, scope: str, key: str) -> tuple[str, dict] | None: ...
    def save_idempotency(self, scope: str, key: str, request_hash: str, lead_id: UUID, response: dict) -> None: ...
    def create_lead(self, inquiry: Inquiry, reference: str, risk_flag: bool, principal: Principal) -> UUID: ...
    def add_event(self, event: Event) -> None: ...
    def audit(self, principal: Principal, action: str, lead_id: UUID | None, detail: dict) -> None: ...


def new_reference() -> str:
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))


def request_fingerprint(route: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


def check_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise DomainError(
            "bad_idempotency_key", 400, "Malformed Idempotency-Key header",
            detail="Use 1 to 255 characters from A-Z, a-z, 0-9 and . _ : -",
            errors=[FieldProblem("Idempotency-Key", "pattern", "Use 1-255 of A-Z a-z 0-9 . _ : -")],
        )
    return value


def receive_inquiry(
    repo: IntakeRepository,
    inquiry: Inquiry,
    principal: Principal,
    *,
    risk_flag: bool,
    fingerprint: str,
    idempotency_key: str | None,
    correlation_id: str | None,
) -> Receipt:
    scope = str(principal.key_id) if principal.key_id else "public"
    if idempotency_key:
        if not repo.try_lock_idempotency(scope, idempotency_key):
            raise DomainError(
                "idempotency_conflict", 409, "The same request is already being processed",
                detail="Retry in a moment to get its result.", headers={"Retry-After": "1"},
            )
        stored = repo.find_idempotency(scope, idempotency_key)
        if stored is not None:
            stored_hash, response = stored
            if stored_hash != fingerprint:
                raise DomainError(
                    "idempotency_key_reused", 422,
                    "This Idempotency-Key was used with a different request",
                    errors=[FieldProblem("Idempotency-Key", "reused", "Use a new key for a new request.")],
                )
            return Receipt(202, response, replayed=True)

    reference = new_reference()
    lead_id = repo.create_lead(inquiry, reference, risk_flag, principal)
    repo.add_event(
        LeadReceivedV1(
            lead_id=lead_id, channel=inquiry.channel, risk_flag=risk_flag, correlation_id=correlation_id
        )
    )
    if inquiry.channel == "referral":
        # The referrer hears back within minutes: "referral received, reference R-…".
        repo.add_event(ReferralStatusChangedV1(lead_id=lead_id, status="received", correlation_id=correlation_id))
    repo.audit(principal, "lead.create", lead_id, {"channel": inquiry.channel})
    body = {
        "lead_id": str(lead_id),
        "reference": reference,
        "status": "received",
        "status_url": f"/v1/leads/{lead_id}",
        "crisis_resources": crisis_resources(inquiry.language) if risk_flag else None,
    }
    if idempotency_key:
        repo.save_idempotency(scope, idempotency_key, fingerprint, lead_id, body)
    log.info("lead_received", lead_id=str(lead_id), channel=inquiry.channel, risk_flag=risk_flag)
    return Receipt(202, body)
