"""POST /v1/webhooks/sendgrid: SendGrid's signed Event Webhook.

The signature is checked on the exact raw bytes received (ECDSA P-256 over timestamp + body), with
the public key from CAREROUTE_SENDGRID_WEBHOOK_PUBLIC_KEY and a replay window on the timestamp
(CAREROUTE_SENDGRID_WEBHOOK_MAX_AGE_SECONDS). Missing signature or timestamp: 401; a bad, malformed
or stale one: 403; nothing is stored. A genuine batch is stored event by event (keyed by
sg_event_id, so SendGrid's redeliveries add nothing) and folded into each notification's status,
forward only, in one transaction with the events it causes:
- a bounce or drop of a crisis or urgent coordinator notice: NotificationFailedV1 (routing
  re-notifies the next person on the ladder);
- any bounce or drop (but an alert's own): AlertRaisedV1 "address_bounced" for a supervisor.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from shared.db import unit_of_work
from shared.errors import DomainError
from shared.logging import get_logger
from shared.settings import get_settings

from services.notify.adapters import repository as repo
from services.notify.domain.policy import SILENT_FAILURE_KINDS
from services.notify.domain.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookKeyError,
    WebhookRejected,
    parse_events,
    verify_signed_webhook,
)

router = APIRouter(tags=["webhooks"])
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
# A failed notice whose loss routing must act on at once.
_REROUTE_URGENCIES = ("crisis", "urgent")


# SendGrid batches events; a batch can approach 768 KB, far over the API's general body limit.
WEBHOOK_PATH = "/v1/webhooks/sendgrid"
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024


@router.post(WEBHOOK_PATH, summary="SendGrid Event Webhook (signed)")
async def sendgrid_events(request: Request) -> JSONResponse:
    settings = get_settings()
    key = settings.sendgrid_webhook_public_key
    if not key:
        raise DomainError("webhook_not_configured", 503, "The SendGrid webhook is not configured",
                          headers={"Retry-After": "300"})
    raw = await request.body()  # the exact bytes SendGrid signed: never re-serialised
    try:
        verify_signed_webhook(key, raw, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER),
                              now=time.time(), window_seconds=settings.sendgrid_webhook_max_age_seconds)
        events = parse_events(raw)
    except WebhookRejected as exc:
        status = 401 if exc.code in _UNAUTHENTICATED else 400 if exc.code == "malformed_body" else 403
        log.warning("webhook_rejected", code=exc.code, status=status)
        raise DomainError(exc.code, status, _TITLES.get(exc.code, "Rejected"),
                          headers={"WWW-Authenticate": "Signature"} if status == 401 else {}) from None
    except WebhookKeyError:
        log.error("webhook_key_invalid")
        raise DomainError("webhook_not_configured", 503, "The SendGrid webhook key is not usable",
                          headers={"Retry-After": "300"}) from None
    outcome = await run_in_threadpool(apply_batch, events)
    return JSONResponse({"received": len(events), "stored": outcome.stored, "duplicates": outcome.duplicates,
                         "unknown": outcome.unknown})


def apply_batch(events) -> repo.WebhookOutcome:
    with unit_of_work() as session:
        outcome = repo.apply_delivery_events(session, events)
        for row, reason in outcome.failures or []:
            code = "bounced" if row.status == "bounced" else "dropped"
            if row.kind in SILENT_FAILURE_KINDS:
                log.error("alert_email_bounced", notification_id=str(row.id), reason=reason)
                continue
            if row.urgency in _REROUTE_URGENCIES:
                repo.report_failure(session, row, code)
            repo.raise_alert(session, row, "address_bounced", "critical" if row.urgency == "crisis" else "warning")
            log.warning("notification_bounced", notification_id=str(row.id), kind=row.kind, urgency=row.urgency,
                        reason=reason)
    log.info("webhook_batch", received=len(events), stored=outcome.stored, duplicates=outcome.duplicates,
             unknown=outcome.unknown, changed=outcome.changed)
    return outcome
