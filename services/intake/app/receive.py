"""Receiving an inquiry: the lead, its PHI, its `lead.received` event and the idempotency record
are written in ONE transaction (the caller's), so the API never answers 202 for a lead that is
not durable, and the broker is never touched inside the request.

Idempotency (Stripe's rules): the same key and body replay the stored answer; the same key with
another body is 422; the same key while the first request still runs is 409.
"""

from __future__ import annotations

from shared.caller import Caller
from shared.errors import DomainError, FieldProblem
from shared.events import LeadReceivedV1, ReferralStatusChangedV1
from shared.logging import get_logger
from shared.schema import Channel
from shared.settings import get_settings

from services.intake.app.ports import IntakeRepository
from services.intake.domain.crisis import crisis_resources
from services.intake.domain.intake import Inquiry, Receipt, contact_key, new_reference, region_of

log = get_logger(__name__)


def receive_inquiry(
    repo: IntakeRepository,
    inquiry: Inquiry,
    caller: Caller,
    *,
    risk_flag: bool,
    fingerprint: str,
    idempotency_key: str | None,
    correlation_id: str | None,
) -> Receipt:
    scope = str(caller.id) if caller.id else "public"
    if idempotency_key:
        if not repo.try_lock_idempotency(scope, idempotency_key):
            raise DomainError(
                "idempotency_conflict",
                409,
                "The same request is already being processed",
                detail="Retry in a moment to get its result.",
                headers={"Retry-After": "1"},
            )
        stored = repo.find_idempotency(scope, idempotency_key)
        if stored is not None:
            stored_hash, response = stored
            if stored_hash != fingerprint:
                raise DomainError(
                    "idempotency_key_reused",
                    422,
                    "This Idempotency-Key was used with a different request",
                    errors=[FieldProblem("Idempotency-Key", "reused", "Use a new key for a new request.")],
                )
            return Receipt(202, response, replayed=True)

    reference = new_reference()
    secret = get_settings().secret_key.get_secret_value().encode()
    keys = (contact_key("phone", inquiry.phone, secret), contact_key("email", inquiry.email, secret))
    lead_id = repo.create_lead(inquiry, reference, risk_flag, caller, keys, region_of(inquiry.details))
    repo.add_event(
        LeadReceivedV1(
            lead_id=lead_id, channel=inquiry.channel, risk_flag=risk_flag, correlation_id=correlation_id
        )
    )
    if inquiry.channel == Channel.referral:
        # The referrer hears back within minutes: "referral received, reference R-…".
        repo.add_event(
            ReferralStatusChangedV1(lead_id=lead_id, status="received", correlation_id=correlation_id)
        )
    repo.audit(caller, "lead.create", lead_id, {"channel": inquiry.channel})
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
