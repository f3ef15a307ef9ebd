"""Intake endpoints: web form, phone log, referral, lead status, triage preview, health."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shared.apikeys import PUBLIC, Principal
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.http import parse_model, read_json_body
from shared.models import AuditEvent, Role

from services.intake.adapters.repository import SqlIntakeRepository, load_lead_view
from services.intake.api import schemas
from services.intake.api.auth import principal_from
from services.intake.api.views import lead_out
from services.intake.domain.crisis import crisis_resources
from services.intake.domain.intake import (
    Inquiry, check_idempotency_key, receive_inquiry, request_fingerprint,
)
from services.intake.domain.risk import screen_for_risk

router = APIRouter()

STAFF = {Role.coordinator.value, Role.call_center.value, Role.supervisor.value, Role.admin.value}


def _body_doc(model) -> dict:
    # We parse bodies ourselves (strict JSON); this keeps them in the OpenAPI document.
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _screen(request: Request, language: str | None, *texts: Any) -> bool:
    """Runs before validation, so a malformed request still gets crisis resources back."""
    risky = screen_for_risk(*[t for t in texts if isinstance(t, str)])
    if risky:
        request.state.crisis_resources = crisis_resources(language if isinstance(language, str) else None)
    return risky


def _accept(request: Request, inquiry: Inquiry, principal: Principal, risk: bool, body: Any,
            idempotency_key: str | None) -> JSONResponse:
    key = check_idempotency_key(idempotency_key)
    fingerprint = request_fingerprint(request.url.path, body)
    client_ip = request.client.host if request.client else None
    with unit_of_work() as session:
        receipt = receive_inquiry(
            SqlIntakeRepository(session, client_ip), inquiry, principal,
            risk_flag=risk, fingerprint=fingerprint, idempotency_key=key,
            correlation_id=getattr(request.state, "request_id", None),
        )
    headers = {"Location": receipt.body["status_url"]}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(receipt.body, status_code=receipt.status_code, headers=headers)


@router.post("/v1/inquiries/web", status_code=202, response_model=schemas.AcceptedOut,
             openapi_extra=_body_doc(schemas.WebInquiryIn), tags=["intake"])
async def post_web_inquiry(request: Request, idempotency_key: str | None = Header(None)):
    data = await read_json_body(request)
    fields = data if isinstance(data, dict) else {}
    risk = _screen(request, fields.get("language"), fields.get("message"))
    form = parse_model(schemas.WebInquiryIn, data)
    inquiry = _person_inquiry("web", form, message=form.message, name=form.name,
                              writing_for=form.writing_for)
    return await run_in_threadpool(_accept, request, inquiry, PUBLIC, risk, data, idempotency_key)


@router.post("/v1/inquiries/phone", status_code=202, response_model=schemas.AcceptedOut,
             openapi_extra=_body_doc(schemas.PhoneInquiryIn), tags=["intake"])
async def post_phone_inquiry(request: Request, idempotency_key: str | None = Header(None)):
    principal = await run_in_threadpool(principal_from, request, {Role.call_center.value, Role.admin.value})
    data = await read_json_body(request)
    fields = data if isinstance(data, dict) else {}
    risk = _screen(request, fields.get("language"), fields.get("notes"))
    call = parse_model(schemas.PhoneInquiryIn, data)
    inquiry = _person_inquiry("phone", call, message=call.notes, name=call.caller_name,
                              writing_for=call.caller_relationship, organization=principal.organization)
    return await run_in_threadpool(_accept, request, inquiry, principal, risk, data, idempotency_key)


@router.post("/v1/referrals", status_code=202, response_model=schemas.AcceptedOut,
             openapi_extra=_body_doc(schemas.ReferralIn), tags=["intake"])
async def post_referral(request: Request, idempotency_key: str | None = Header(None)):
    principal = await run_in_threadpool(principal_from, request, {Role.provider.value, Role.admin.value})
    data = await read_json_body(request)
    fields = data if isinstance(data, dict) else {}
    # Referrers are clinicians: no resources in the response, but risk still takes the crisis lane.
    risk = screen_for_risk(fields.get("reason") if isinstance(fields.get("reason"), str) else None)
    referral = parse_model(schemas.ReferralIn, data)
    patient = referral.patient
    screeners = referral.screeners.model_dump(exclude_none=True) if referral.screeners else {}
    details = _triage_details(
        veteran=patient.veteran, date_of_birth=patient.date_of_birth, preferred_language=patient.preferred_language,
        icd10_codes=[d.code for d in referral.diagnoses],
        provider_urgency=referral.requested_urgency,
        requested_treatment=referral.requested_treatment,
        va_community_care=referral.va_community_care,
        referrer={"name": referral.referrer.name, "practice": referral.referrer.practice,
                  "npi": referral.referrer.npi, "phone": referral.referrer.phone,
                  "email": referral.referrer.email},
        **screeners,
    )
    inquiry = Inquiry(
        channel="referral", message=referral.reason, name=patient.name, phone=patient.phone,
        email=patient.email,
        date_of_birth=patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        language=patient.preferred_language,
        organization=principal.organization or referral.referrer.practice,
        details=details,
    )
    response = await run_in_threadpool(_accept, request, inquiry, principal, risk, data, idempotency_key)
    return response


def _person_inquiry(channel: str, form: Any, *, message: str, name: str, writing_for: str | None,
                    organization: str | None = None) -> Inquiry:
    """The web form and the phone log share their contact and preference fields."""
    return Inquiry(
        channel=channel, message=message, name=name, phone=form.phone, email=form.email,
        date_of_birth=form.date_of_birth.isoformat() if form.date_of_birth else None,
        language=form.language, preferred_contact_method=form.preferred_contact_method,
        preferred_contact_time=form.preferred_contact_time, how_heard=form.how_heard,
        organization=organization,
        details=_triage_details(veteran=form.veteran, date_of_birth=form.date_of_birth,
                                preferred_language=form.language, writing_for=writing_for),
    )


def _triage_details(**values: Any) -> dict:
    out = {}
    for key, value in values.items():
        if value is None or value == [] or value == {}:
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


@router.get("/v1/leads/{lead_id}", response_model=schemas.LeadOut, response_model_exclude_none=False,
            tags=["leads"])
def get_lead(lead_id: UUID, request: Request):
    principal = principal_from(request, STAFF | {Role.provider.value})
    with unit_of_work() as session:
        view = load_lead_view(session, lead_id)
        if view is None or not _may_see(principal, view[0]):
            # Outside a provider's scope looks exactly like a lead that does not exist.
            raise DomainError("not_found", 404, "No such lead")
        session.add(
            AuditEvent(actor=principal.actor, action="lead.read", lead_id=lead_id,
                       client_ip=request.client.host if request.client else None,
                       detail={"role": principal.role})
        )
        return lead_out(view, staff=principal.role in STAFF)


def _may_see(principal: Principal, lead) -> bool:
    if principal.role != Role.provider.value:
        return True
    if lead.channel != "referral":
        return False
    if principal.organization and lead.organization:
        return principal.organization == lead.organization
    return lead.submitted_by_key_id == principal.key_id


@router.post("/v1/triage/preview", response_model=schemas.TriagePreviewOut, tags=["triage"],
             openapi_extra=_body_doc(schemas.TriagePreviewIn))
async def post_triage_preview(request: Request):
    await run_in_threadpool(principal_from, request, {Role.call_center.value, Role.admin.value})
    data = await read_json_body(request)
    draft = parse_model(schemas.TriagePreviewIn, data)
    from services.triage import TriageInput, classify

    structured = _triage_details(veteran=draft.veteran, date_of_birth=draft.date_of_birth,
                                 preferred_language=draft.language)
    result = await run_in_threadpool(classify, TriageInput(draft.notes, "phone", structured))
    shows_resources = result.urgency in ("crisis", "urgent")
    return {
        "conditions": result.conditions, "primary_condition": result.primary_condition,
        "urgency": result.urgency, "veteran": result.veteran, "flags": result.flags,
        "evidence": result.evidence, "classifier_version": result.version,
        "crisis_resources": crisis_resources(draft.language) if shows_resources else None,
    }


@router.get("/healthz", tags=["health"])
def healthz():
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
def readyz():
    from shared.health import check_broker, check_database

    checks = {"database": check_database(), "broker": check_broker()}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/healthz/deep", tags=["health"])
def healthz_deep():
    """End to end: background loops beating, and no lead waiting too long for its email."""
    from shared.health import deep_health

    report = deep_health()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
