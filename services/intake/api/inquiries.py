"""POST /v1/inquiries/web|phone and /v1/referrals: take an inquiry in durably (app/receive.py).

The quick risk screen runs on the raw text before validation, so even a malformed request from
someone at risk gets crisis resources back (in the error too).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.caller import PUBLIC, Caller
from shared.errors import DomainError
from shared.http.deps import DbSession, client_ip, public, request_id, require_caller
from shared.http.json_body import body_doc, read_json_body
from shared.http.problems import parse_model
from shared.http.ratelimit import rate_limit
from shared.schema import Role
from shared.settings import get_settings

from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.api import schemas
from services.intake.app import consent
from services.intake.app.receive import receive_inquiry
from services.intake.domain.crisis import crisis_resources
from services.intake.domain.intake import (
    ConsentGiven,
    Inquiry,
    Receipt,
    check_idempotency_key,
    request_fingerprint,
    triage_details,
)
from services.intake.domain.risk import screen_for_risk
from services.intake.domain.spam import (
    FORM_TOKEN_FIELD,
    HONEYPOT_FIELD,
    dedupe_key,
    issue_form_token,
    spam_reason,
)

router = APIRouter(tags=["intake"])
Body = Annotated[Any, Depends(read_json_body)]
IdempotencyKey = Annotated[str | None, Header()]
# PHI comes in only from the people whose work it is: agents log calls, practices refer.
CallCenter = Annotated[Caller, Depends(require_caller(Role.call_center))]
Provider = Annotated[Caller, Depends(require_caller(Role.provider))]


def _field(data: Any, name: str) -> Any:
    return data.get(name) if isinstance(data, dict) else None


def _screen(request: Request, language: Any, *texts: Any) -> bool:
    """Runs before validation; a positive screen adds crisis resources to any error as well."""
    risky = screen_for_risk(*[t for t in texts if isinstance(t, str)])
    if risky:
        resources = crisis_resources(language if isinstance(language, str) else None)
        request.state.problem_extra = {"crisis_resources": resources}
    return risky


def _accept(
    request: Request,
    session,
    inquiry: Inquiry,
    caller: Caller,
    risk: bool,
    body: Any,
    idempotency_key: str | None,
    validated: BaseModel,
) -> Receipt:
    key = check_idempotency_key(idempotency_key)
    # The duplicate key covers what the person said, after normalisation, not the spam fields.
    normalised = validated.model_dump(mode="json", exclude={HONEYPOT_FIELD, FORM_TOKEN_FIELD})
    inquiry.dedupe_hash = dedupe_key(inquiry.channel, normalised, _derived_secret("dedupe"))
    return receive_inquiry(
        SqlIntakeRepository(session, client_ip(request)),
        inquiry,
        caller,
        risk_flag=risk,
        fingerprint=request_fingerprint(request.url.path, body),
        idempotency_key=key,
        correlation_id=request_id(request),
    )


def _respond(receipt: Receipt) -> JSONResponse:
    headers = {"Location": receipt.body["status_url"]}
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(receipt.body, status_code=receipt.status_code, headers=headers)


def _crisis_resources_for(request: Request) -> dict:
    """A throttled person still sees where to get help now (in Spanish when the browser asks)."""
    spanish = request.headers.get("accept-language", "").lower().startswith("es")
    return {"crisis_resources": crisis_resources("es" if spanish else None)}


# Per real client address (shared/http/client_address.py); 429 with Retry-After and crisis resources.
PublicFormLimit = Depends(rate_limit("public_form", problem_extra=_crisis_resources_for))


@router.post(
    "/v1/inquiries/web",
    status_code=202,
    response_model=schemas.AcceptedOut,
    openapi_extra=body_doc(schemas.WebInquiryIn),
    dependencies=[Depends(public("the clinic website's inquiry form")), PublicFormLimit],
    responses={429: {"description": "Too many submissions from this address (Retry-After)"}},
)
def post_web_inquiry(
    request: Request, data: Body, session: DbSession, idempotency_key: IdempotencyKey = None
):
    return _respond(take_web_inquiry(request, session, data, idempotency_key))


def take_web_inquiry(request: Request, session, data: Any, idempotency_key: str | None) -> Receipt:
    """The public form's intake, shared by the JSON API and the HTML form (api/pages/)."""
    risk = _screen(request, _field(data, "language"), _field(data, "message"))
    form = parse_model(schemas.WebInquiryIn, data)
    settings = get_settings()
    flagged = spam_reason(
        honeypot=form.website,
        form_token=form.form_token,
        secret=_derived_secret("form-token"),
        now=time.time(),
        min_fill_seconds=settings.form_min_fill_seconds,
        max_age_seconds=settings.form_token_max_age_seconds,
    )
    inquiry = _person_inquiry("web", form, message=form.message, name=form.name, writing_for=form.writing_for)
    inquiry.consent = _consent(form, heard_by=None)
    inquiry.spam_reason = flagged.value if flagged else None
    return _accept(request, session, inquiry, PUBLIC, risk, data, idempotency_key, form)


def new_form_token() -> str:
    return issue_form_token(_derived_secret("form-token"), time.time())


@router.get(
    "/v1/inquiries/web/form",
    response_model=schemas.FormOut,
    dependencies=[Depends(public("the web form's fill-time token and consent wording, no data"))],
)
def get_web_form(language: schemas.Language | None = None) -> JSONResponse:
    """What a page needs to show the form: the minimum-fill-time token and the consent wording."""
    wording = consent.current(language)
    body = {
        "form_token": new_form_token(),
        "consent": {"version": wording.version, "language": wording.language, "text": wording.text},
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/v1/inquiries/phone",
    status_code=202,
    response_model=schemas.AcceptedOut,
    openapi_extra=body_doc(schemas.PhoneInquiryIn),
)
def post_phone_inquiry(
    request: Request,
    caller: CallCenter,
    data: Body,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
):
    return _respond(take_phone_inquiry(request, session, caller, data, idempotency_key))


def take_phone_inquiry(
    request: Request, session, caller: Caller, data: Any, idempotency_key: str | None
) -> Receipt:
    """An agent's call log, from the JSON API or the console's call form (api/pages/)."""
    risk = _screen(request, _field(data, "language"), _field(data, "notes"))
    call = parse_model(schemas.PhoneInquiryIn, data)
    inquiry = _person_inquiry(
        "phone",
        call,
        message=call.notes,
        name=call.caller_name,
        writing_for=call.caller_relationship,
        organization=caller.organization,
        # C-SSRS answers the agent asked on the call: stored with the lead, read by triage.
        screeners=call.screeners.model_dump(exclude_none=True) if call.screeners else {},
    )
    inquiry.consent = _consent(call, heard_by=caller.actor)  # the agent who read it out
    return _accept(request, session, inquiry, caller, risk, data, idempotency_key, call)


@router.post(
    "/v1/referrals",
    status_code=202,
    response_model=schemas.AcceptedOut,
    openapi_extra=body_doc(schemas.ReferralIn),
)
def post_referral(
    request: Request, caller: Provider, data: Body, session: DbSession, idempotency_key: IdempotencyKey = None
):
    return _respond(take_referral(request, session, caller, data, idempotency_key))


def take_referral(
    request: Request, session, caller: Caller, data: Any, idempotency_key: str | None
) -> Receipt:
    """A provider's referral, from the JSON API or the referral form (api/pages/)."""
    if not caller.organization:
        # The referral belongs to the practice the key or account was issued to — never to one the
        # body names — so a provider credential without a practice cannot refer.
        raise DomainError(
            "organization_required",
            403,
            "This provider credential has no organization",
            detail="Ask the clinic to issue a key or account bound to your practice.",
        )
    # Referrers are clinicians: no resources in the response, but risk still takes the crisis lane.
    reason = _field(data, "reason")
    risk = screen_for_risk(reason if isinstance(reason, str) else None)
    referral = parse_model(schemas.ReferralIn, data)
    patient = referral.patient
    screeners = referral.screeners.model_dump(exclude_none=True) if referral.screeners else {}
    details = triage_details(
        veteran=patient.veteran,
        date_of_birth=patient.date_of_birth,
        preferred_language=patient.preferred_language,
        icd10_codes=[d.code for d in referral.diagnoses],
        provider_urgency=referral.requested_urgency,
        requested_treatment=referral.requested_treatment,
        va_community_care=referral.va_community_care,
        referrer={
            "name": referral.referrer.name,
            "practice": referral.referrer.practice,
            "npi": referral.referrer.npi,
            "phone": referral.referrer.phone,
            "email": referral.referrer.email,
        },
        **screeners,
    )
    inquiry = Inquiry(
        channel="referral",
        message=referral.reason,
        name=patient.name,
        phone=patient.phone,
        email=patient.email,
        date_of_birth=patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        language=patient.preferred_language,
        organization=caller.organization,  # from the credential, never from the body
        details=details,
    )
    return _accept(request, session, inquiry, caller, risk, data, idempotency_key, referral)


def _derived_secret(purpose: str) -> bytes:
    """One key per purpose, derived from CAREROUTE_SECRET_KEY (a token of one kind is no use as another)."""
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, f"careroute:{purpose}".encode(), hashlib.sha256).digest()


def _consent(form: Any, heard_by: str | None) -> ConsentGiven:
    wording = consent.wording(form.consent_version or get_settings().consent_version, form.language)
    return ConsentGiven(wording.version, wording.language, wording.sha256, heard_by)


def _person_inquiry(
    channel: str,
    form: Any,
    *,
    message: str,
    name: str,
    writing_for: str | None,
    organization: str | None = None,
    screeners: dict | None = None,
) -> Inquiry:
    """The web form and the phone log share their contact and preference fields."""
    return Inquiry(
        channel=channel,
        message=message,
        name=name,
        phone=form.phone,
        email=form.email,
        date_of_birth=form.date_of_birth.isoformat() if form.date_of_birth else None,
        language=form.language,
        preferred_contact_method=form.preferred_contact_method,
        preferred_contact_time=form.preferred_contact_time,
        how_heard=form.how_heard,
        organization=organization,
        details=triage_details(
            veteran=form.veteran,
            date_of_birth=form.date_of_birth,
            preferred_language=form.language,
            writing_for=writing_for,
            **(screeners or {}),
        ),
    )
