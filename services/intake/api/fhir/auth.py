"""SMART Backend Services: POST /fhir/r4/auth/token (client_credentials with a signed JWT
assertion) and the SMART configuration that advertises it. Errors here are OAuth 2.0's
(`{"error": ..., "error_description": ...}`, RFC 6749 §5.2), which is what token clients read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from shared.caller import Caller, CallerKind
from shared.errors import DomainError
from shared.http.deps import DbSession, client_ip, public
from shared.http.ratelimit import rate_limit
from shared.smart import ASSERTION_TYPE, FHIR_BASE_PATH, TOKEN_PATH, OAuthError, token_url
from shared.smart.assertion import verify_client_assertion
from shared.smart.tokens import grant_scopes, issue_access_token

from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.domain.fhir.capability import smart_configuration

router = APIRouter(tags=["fhir"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


def _oauth_error(error: OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=error.status,
        headers=NO_STORE,
    )


def oauth_problem(error: DomainError, extra: dict) -> JSONResponse:
    """Any other error at the token endpoint (429 from its rate limit, 503 with the database down)
    in the shape token clients read, keeping Retry-After; registered by the composition root."""
    return JSONResponse(
        {"error": error.code, "error_description": error.detail or error.title},
        status_code=error.status,
        headers={**(error.headers or {}), **NO_STORE},
    )


async def _form(request: Request) -> dict[str, str] | None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return None
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


TokenForm = Annotated[dict[str, str] | None, Depends(_form)]
SMART_CONFIG_POLICY = [Depends(public("where and how a SMART client gets a token"))]


@router.post(
    TOKEN_PATH,
    dependencies=[
        Depends(public("the SMART token endpoint: the signed assertion is the credential")),
        # Per client address, before the assertion is parsed: keying on the client id it claims
        # would let anyone spend a real client's budget.
        Depends(rate_limit("fhir_token")),
    ],
)
def token(request: Request, form: TokenForm, session: DbSession) -> JSONResponse:
    """Public: the signed assertion is the credential."""
    try:
        if form is None:
            raise OAuthError("invalid_request", f"Send the token request as {FORM}.")
        if form.get("grant_type") != "client_credentials":
            raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials.")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}.")
        client = verify_client_assertion(session, form.get("client_assertion", ""), token_url())
        if form.get("client_id") not in (None, client.client_id):
            raise OAuthError("invalid_client", "client_id does not match the assertion.", 401)
        scope, _permissions = grant_scopes(form.get("scope"))
    except OAuthError as error:
        return _oauth_error(error)
    caller = Caller(kind=CallerKind.smart_client, id=client.id, organization=client.organization)
    SqlIntakeRepository(session, client_ip(request)).audit(caller, "smart.token", None, {"scope": scope})
    return JSONResponse(issue_access_token(client, scope), headers=NO_STORE)


@router.get(f"{FHIR_BASE_PATH}/.well-known/smart-configuration", dependencies=SMART_CONFIG_POLICY)
@router.get("/.well-known/smart-configuration", dependencies=SMART_CONFIG_POLICY)
def smart_config() -> JSONResponse:
    """Public: where and how to get a token."""
    return JSONResponse(smart_configuration(token_url()))
