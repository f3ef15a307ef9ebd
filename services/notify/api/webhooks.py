"""POST /v1/webhooks/sendgrid: SendGrid's signed Event Webhook.

The signature is checked on the exact raw bytes received (ECDSA P-256 over timestamp + body), with
the public key from CAREROUTE_SENDGRID_WEBHOOK_PUBLIC_KEY and a replay window on the timestamp
(CAREROUTE_SENDGRID_WEBHOOK_MAX_AGE_SECONDS). Missing signature or timestamp: 401; a bad, malformed
or stale one: 403; nothing is stored. A genuine batch is stored event by event (keyed by
sg_event_id, so SendGrid's redeliveries add nothing) and folded into each notification's status,
forward only (app/webhook.py).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from shared.errors import DomainError
from shared.http.deps import DbSession, signed_webhook
from shared.logging import get_logger
from shared.settings import get_settings

from services.notify.adapters.email.webhook_signature import verify_signed_webhook
from services.notify.adapters.repository import SqlNotifyRepository
from services.notify.app.webhook import apply_batch
from services.notify.domain.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookKeyError,
    WebhookRejected,
    parse_events,
)

router = APIRouter(
    tags=["webhooks"],
    dependencies=[Depends(signed_webhook("SendGrid signs each batch (ECDSA); checked on the raw body"))],
)
log = get_logger(__name__)

_UNAUTHENTICATED = {"missing_signature", "missing_timestamp"}
_TITLES = {
    "missing_signature": "The request is not signed",
    "missing_timestamp": "The request has no signature timestamp",
    "malformed_timestamp": "The signature timestamp is not valid",
    "stale_timestamp": "The signature timestamp is outside the replay window",
    "malformed_signature": "The signature is not valid",
    "bad_signature": "The signature does not match",
    "malformed_body": "The body is not a SendGrid event batch",
}
# SendGrid batches events; a batch can approach 768 KB, far over the API's general body limit.
WEBHOOK_PATH = "/v1/webhooks/sendgrid"
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


async def raw_body(request: Request) -> bytes:
    return await request.body()  # the exact bytes SendGrid signed: never re-serialised


@router.post(WEBHOOK_PATH, summary="SendGrid Event Webhook (signed)")
def sendgrid_events(
    request: Request, raw: Annotated[bytes, Depends(raw_body)], session: DbSession
) -> JSONResponse:
    settings = get_settings()
    key = settings.sendgrid_webhook_public_key
    if not key:
        raise DomainError(
            "webhook_not_configured",
            503,
            "The SendGrid webhook is not configured",
            headers={"Retry-After": "300"},
        )
    try:
        verify_signed_webhook(
            key,
            raw,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            now=time.time(),
            window_seconds=settings.sendgrid_webhook_max_age_seconds,
        )
        events = parse_events(raw)
    except WebhookRejected as exc:
        status = 401 if exc.code in _UNAUTHENTICATED else 400 if exc.code == "malformed_body" else 403
        log.warning("webhook_rejected", code=exc.code, status=status)
        raise DomainError(
            exc.code,
            status,
            _TITLES.get(exc.code, "Rejected"),
            headers={"WWW-Authenticate": "Signature"} if status == 401 else {},
        ) from None
    except WebhookKeyError:
        log.error("webhook_key_invalid")
        raise DomainError(
            "webhook_not_configured",
            503,
            "The SendGrid webhook key is not usable",
            headers={"Retry-After": "300"},
        ) from None
    outcome = apply_batch(SqlNotifyRepository(session), events)
    return JSONResponse(
        {
            "received": len(events),
            "stored": outcome.stored,
            "duplicates": outcome.duplicates,
            "unknown": outcome.unknown,
        }
    )
