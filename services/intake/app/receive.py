"""Receiving an inquiry: the lead, its PHI, its `lead.received` event and the idempotency record
are written in ONE transaction (the caller's), so the API never answers 202 for a lead that is
not durable, and the broker is never touched inside the request.

Idempotency (Stripe's rules): the same key and body replay the stored answer; the same key with
another body is 422; the same key while the first request still runs is 409.

Duplicates without a key: the same channel and normalised body again within
CAREROUTE_DUPLICATE_WINDOW_SECONDS gets the first lead's 202 body, and no new lead, event or email
(a person pressing "send" twice, a bot replaying a form). A lead the public form's spam defence
flagged is stored like any other, with its reason: routing holds it for review.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from shared.caller import Caller
from shared.clock import utcnow
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

    settings = get_settings()
    if inquiry.dedupe_hash and settings.duplicate_window_seconds > 0:
        repo.lock_duplicates(inquiry.dedupe_hash)  # a concurrent twin waits here, then finds this one
        since = utcnow() - timedelta(seconds=settings.duplicate_window_seconds)
        first = repo.find_recent_duplicate(inquiry.dedupe_hash, since)
        if first is not None:
            body = accepted_body(first.lead_id, first.reference, first.risk_flag, first.language)
            repo.audit(caller, "lead.duplicate_submission", first.lead_id, {"channel": inquiry.channel})
            if idempotency_key:
                repo.save_idempotency(scope, idempotency_key, fingerprint, first.lead_id, body)
            log.info("duplicate_submission", lead_id=str(first.lead_id), channel=inquiry.channel)
            return Receipt(202, body)

    reference = new_reference()
    secret = settings.secret_key.get_secret_value().encode()
    keys = (contact_key("phone", inquiry.phone, secret), contact_key("email", inquiry.email, secret))
    lead_id = repo.create_lead(inquiry, reference, risk_flag, caller, keys, region_of(inquiry.details))
    if inquiry.consent is not None:
        repo.add_consent(lead_id, inquiry.channel, inquiry.consent)
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
    detail = {"channel": inquiry.channel}
    if inquiry.spam_reason:
        detail["spam_review"] = inquiry.spam_reason
    repo.audit(caller, "lead.create", lead_id, detail)
    # A flagged lead gets the same answer as any other: nothing tells a bot what gave it away.
    body = accepted_body(lead_id, reference, risk_flag, inquiry.language)
    if idempotency_key:
        repo.save_idempotency(scope, idempotency_key, fingerprint, lead_id, body)
    log.info(
        "lead_received",
        lead_id=str(lead_id),
        channel=inquiry.channel,
        risk_flag=risk_flag,
        spam_review=inquiry.spam_reason,
    )
    return Receipt(202, body)


def accepted_body(lead_id: UUID, reference: str, risk_flag: bool, language: str | None) -> dict:
    return {
        "lead_id": str(lead_id),
        "reference": reference,
        "status": "received",
        "status_url": f"/v1/leads/{lead_id}",
        "crisis_resources": crisis_resources(language) if risk_flag else None,
    }
