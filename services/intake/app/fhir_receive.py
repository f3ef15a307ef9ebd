"""Receiving a FHIR referral: the same path as the JSON referral (app/receive.py: lead, contact,
`lead.received`, `referral.status_changed` and audit in the request's one transaction, so it is
durable before the answer), plus what FHIR needs kept: the ids we gave each resource, the
identifiers that make a resubmission safe, the ServiceRequest for read-back and any PDF.

Idempotency: a Bundle identifier, or a ServiceRequest identifier (its own, or the If-None-Exist
condition), already used by this organization returns the original resources (200) when the body
is the same, and is refused (409) when it is not. It never makes a second lead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.auth.policy import referral_organization
from shared.caller import Caller
from shared.errors import DomainError
from shared.schema import FhirReferral, FhirResource
from shared.settings import get_settings

from services.intake.app.fhir_ports import FhirRepository
from services.intake.app.ports import IntakeRepository
from services.intake.app.receive import receive_inquiry
from services.intake.domain.fhir.bundle import Identifier, Submission
from services.intake.domain.fhir.mapping import map_referral
from services.intake.domain.fhir.outcome import Issue, fhir_error
from services.intake.domain.fhir.render import rewrite_references
from services.intake.domain.risk import screen_for_risk


@dataclass
class FhirReceipt:
    replayed: bool
    referral: FhirReferral
    created: list[tuple[str, UUID]]  # (type, id) per submitted entry, in order
    service_request_body: dict


def organization_of(caller: Caller) -> str:
    """FHIR referrals are scoped by organization, which comes from the credentials only
    (shared/auth/policy.py's `referral_organization`)."""
    organization = referral_organization(caller)
    if organization is None:
        raise fhir_error(
            403,
            [Issue("forbidden", None, "This key has no organization; create one with --organization.")],
            "An organization is required",
        )
    return organization


def _identifier_keys(submission: Submission) -> list[tuple[str, Identifier]]:
    keys = [("ServiceRequest", i) for i in submission.service_request_identifiers]
    if submission.if_none_exist and ("ServiceRequest", submission.if_none_exist) not in keys:
        keys.append(("ServiceRequest", submission.if_none_exist))
    if submission.bundle_identifier:
        keys.append(("Bundle", submission.bundle_identifier))
    return keys


def _replay(repo: FhirRepository, found: list[FhirReferral], body_hash: str) -> FhirReceipt:
    duplicate = [
        Issue("duplicate", None, "This identifier was already used for a different referral; use a new one.")
    ]
    if len(found) > 1 or found[0].request_hash != body_hash:
        raise fhir_error(409, duplicate, "The identifier belongs to another referral")
    referral = found[0]
    resources = repo.resources(referral.id)
    service_request = next(r for r in resources if r.resource_type == "ServiceRequest")
    entries = [r for r in resources if r.entry_index is not None] or [service_request]
    created = [(r.resource_type, r.id) for r in entries]
    return FhirReceipt(True, referral, created, service_request.body or {})


def receive_fhir_referral(
    repo: FhirRepository,
    intake: IntakeRepository,
    submission: Submission,
    caller: Caller,
    *,
    body_hash: str,
    correlation_id: str | None,
    now: datetime,
) -> FhirReceipt:
    organization = organization_of(caller)
    mapped = map_referral(submission, organization, get_settings().fhir_max_attachment_bytes)
    keys = _identifier_keys(submission)
    for kind, identifier in keys:
        if not repo.lock_identifier(organization, kind, identifier):
            raise DomainError(
                "idempotency_conflict",
                409,
                "The same referral is already being processed",
                detail="Retry in a moment to get its result.",
                headers={"Retry-After": "1"},
            )
    found = repo.referrals_by_identifiers(organization, keys)
    if found:
        return _replay(repo, found, body_hash)

    risk = screen_for_risk(mapped.inquiry.message)
    receipt = receive_inquiry(
        intake,
        mapped.inquiry,
        caller,
        risk_flag=risk,
        fingerprint=body_hash,
        idempotency_key=None,
        correlation_id=correlation_id,
    )
    ids = {id(item): uuid.uuid4() for item in submission.items}
    service_request_id = ids[id(submission.service_request)]
    referral = FhirReferral(
        lead_id=UUID(receipt.body["lead_id"]),
        organization=organization,
        submitted_by=caller.actor,
        request_hash=body_hash,
        service_request_id=service_request_id,
        patient_id=ids[id(submission.patient)] if submission.is_bundle else None,
        priority=mapped.priority,
        created_at=now,
    )
    repo.add_referral(referral)
    references = {
        item.key: f"{item.resource_type}/{ids[id(item)]}"
        for item in submission.items
        if item.key and submission.is_bundle
    }
    body = rewrite_references(submission.service_request.data, references)
    created = []
    for item in submission.items if submission.is_bundle else [submission.service_request]:
        is_request = item is submission.service_request
        repo.add_resource(
            FhirResource(
                id=ids[id(item)],
                referral_id=referral.id,
                resource_type=item.resource_type,
                entry_index=item.entry_index,
                body=body if is_request else None,
                created_at=now,
            )
        )
        created.append((item.resource_type, ids[id(item)]))
    for attachment in mapped.attachments:
        resource_id = ids[id(attachment.item)] if submission.is_bundle else service_request_id
        repo.add_attachment(referral.id, resource_id, attachment)
    for kind, identifier in keys:
        repo.add_identifier(organization, kind, identifier, referral.id)
    intake.audit(caller, "fhir.referral.create", referral.lead_id, {"resources": len(created)})
    return FhirReceipt(False, referral, created, body)
