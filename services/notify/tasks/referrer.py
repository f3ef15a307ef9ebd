"""notify.notify_referrer: close the loop with the referring provider.

Each `referral.status_changed` is recorded (the status page reads these rows) and, when the
referrer gave an email address, announced once: an acknowledgement for "received" ("referral
received, reference R-…"), then one email per FHIR Task status reached. No PHI: the reference,
the status word, a reason code's fixed sentence, and a signed link to the status page.
"""

from __future__ import annotations

import structlog

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.db import unit_of_work
from shared.events import ReferralStatusChangedV1
from shared.logging import get_logger
from shared.models import Lead, LeadContact
from shared.settings import get_settings
from shared.tasks import NOTIFY_REFERRER

from services.notify.adapters import repository as repo
from services.notify.domain.compose import REFERRAL_REASONS, NotificationView
from services.notify.domain.message import OutgoingEmail
from services.notify.domain.policy import REFERRAL_STEPS
from services.notify.domain.status_link import status_link
from services.notify.tasks.deliver import Notice, deliver_or_retry

log = get_logger(__name__)


def referrer_address(contact: LeadContact | None) -> tuple[str | None, str]:
    """(email, display name) of the referrer, from the referral's stored details."""
    referrer = (contact.details or {}).get("referrer") if contact else None
    if not isinstance(referrer, dict):
        return None, "colleague"
    email = referrer.get("email")
    name = referrer.get("name")
    name = name.strip() if isinstance(name, str) and name.strip() and len(name) <= 100 else "colleague"
    if not isinstance(email, str) or not email.strip():
        return None, name
    try:  # the same check every outgoing email gets: one plain address
        OutgoingEmail(notification_id="check", to=email.strip(), subject="-", text="", html="")
    except ValueError:
        return None, name
    return email.strip(), name


@celery_app.task(name=NOTIFY_REFERRER, **PIPELINE_TASK_OPTIONS)
def notify_referrer(self, payload: dict) -> str | None:
    event = ReferralStatusChangedV1.model_validate(payload)
    structlog.contextvars.bind_contextvars(lead_id=str(event.lead_id), correlation_id=event.correlation_id)
    settings = get_settings()
    reason = event.reason if event.reason in REFERRAL_REASONS else None
    with unit_of_work() as session:
        lead = session.get(Lead, event.lead_id)
        if lead is None or lead.channel != "referral":
            log.warning("referrer_skipped", reason="not_a_referral" if lead else "no_such_lead")
            return None
        repo.record_referral_update(session, lead.id, event.status, event.reason, event.occurred_at)
        email, name = referrer_address(session.get(LeadContact, lead.id))
        if email is None:
            log.info("referrer_skipped", reason="no_referrer_email", status=event.status)
            return None
        kind = "referral_received" if event.status == "received" else "referral_status"
        link = status_link(settings.public_base_url, settings.secret_key.get_secret_value(), lead.reference, lead.id)
        view = NotificationView(
            kind=kind, recipient_display_name=name, received_at=lead.created_at, reference=lead.reference,
            link=link, status_word=event.status, reason_code=reason if event.status == "rejected" else None,
        )
        key = repo.NoticeKey(kind=kind, recipient=email, lead_id=lead.id, step=REFERRAL_STEPS[event.status],
                             triggered_at=event.occurred_at)
    return deliver_or_retry(self, Notice(key=key, view=view, actor=f"task:{NOTIFY_REFERRER}"))
