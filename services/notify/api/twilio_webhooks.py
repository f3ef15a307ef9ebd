"""Twilio's webhooks: the on-call person's SMS reply, and a page's delivery status.

Both are form posts signed with X-Twilio-Signature (HMAC-SHA1 of the URL Twilio called and the
sorted parameters, keyed with the auth token), checked with twilio's RequestValidator against
CAREROUTE_PUBLIC_BASE_URL + the path (behind a proxy the request's own URL differs). Missing or
wrong signature: 403, nothing read. The reply is answered with TwiML; the number and the text
are neither logged nor stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from shared.clock import utcnow
from shared.errors import DomainError
from shared.http.deps import DbSession, signed_webhook
from shared.logging import get_logger
from shared.settings import get_settings

from services.notify.adapters.pages import SqlPageStore
from services.notify.adapters.repository import SqlNotifyRepository
from services.notify.adapters.sms import STATUS_CALLBACK_PATH
from services.notify.app.page_replies import apply_status, handle_reply

router = APIRouter(
    tags=["webhooks"],
    dependencies=[Depends(signed_webhook("Twilio signs each request (X-Twilio-Signature over URL + form)"))],
)
log = get_logger(__name__)
REPLY_PATH = "/v1/webhooks/twilio/sms"
SIGNATURE_HEADER = "X-Twilio-Signature"
_FORBIDDEN = {403: {"description": "Missing or wrong X-Twilio-Signature (problem+json)"}}
_ANSWERS = {
    "acknowledged": "Received: lead {reference} is acknowledged in your name.",
    "unknown_code": "That code matches no current page. Use the link in the page instead.",
    "no_code": "Reply with the 6-digit code from the page to acknowledge it.",
}


async def form_params(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.multi_items()}


def verified(request: Request, params: Annotated[dict[str, str], Depends(form_params)]) -> dict[str, str]:
    settings = get_settings()
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get(SIGNATURE_HEADER)
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    if not signature or not validator.validate(url, params, signature):
        log.warning("twilio_webhook_rejected", path=request.url.path, signed=bool(signature))
        raise DomainError("bad_signature", 403, "The request is not signed by Twilio")
    return params


Verified = Annotated[dict[str, str], Depends(verified)]


@router.post(
    REPLY_PATH,
    summary="Twilio inbound SMS: an on-call person's reply to a page (signed)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "TwiML answer"}, **_FORBIDDEN},
)
def twilio_reply(params: Verified, session: DbSession) -> Response:
    outcome = handle_reply(
        SqlNotifyRepository(session),
        SqlPageStore(session),
        params.get("From", ""),
        params.get("Body"),
        utcnow(),
    )
    answer = MessagingResponse()
    answer.message(_ANSWERS[outcome.result].format(reference=outcome.reference or "?"))
    return Response(str(answer), media_type="application/xml")


@router.post(
    STATUS_CALLBACK_PATH,
    summary="Twilio message status callback for a page (signed)",
    responses=_FORBIDDEN,
)
def twilio_status(params: Verified, session: DbSession) -> JSONResponse:
    result = apply_status(
        SqlNotifyRepository(session),
        SqlPageStore(session),
        params.get("MessageSid", ""),
        params.get("MessageStatus", ""),
        utcnow(),
    )
    return JSONResponse({"result": result})
