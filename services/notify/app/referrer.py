"""Tell a referrer how their referral is going (`referral.status_changed`).

A referral's referrer, when they gave an email address, hears once per status: an acknowledgement
for "received" ("referral received, reference R-…"), then one email per FHIR Task status reached.
No PHI: the reference, the status word, a reason code's fixed sentence, and a signed link to the
status page.
"""

from __future__ import annotations

from shared.events import ReferralStatusChangedV1
from shared.logging import get_logger
from shared.schema import Channel, LeadContact
from shared.settings import get_settings

from services.notify.app.deliver import Notice, deliver
from services.notify.app.ports import NoticeKey, UnitOfWork
from services.notify.domain.compose import REFERRAL_REASONS, NotificationView
from services.notify.domain.message import EmailBackend, OutgoingEmail
from services.notify.domain.policy import REFERRAL_STEPS, NoticeKind
from services.notify.domain.status_link import status_link

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


def notify_referrer(
    uow: UnitOfWork, backend: EmailBackend, event: ReferralStatusChangedV1, retries: int, actor: str
) -> str | None:
    settings = get_settings()
    reason = event.reason if event.reason in REFERRAL_REASONS else None
    with uow() as repo:
        lead = repo.lead(event.lead_id)
        if lead is None or lead.channel != Channel.referral:
            log.warning("referrer_skipped", reason="not_a_referral" if lead else "no_such_lead")
            return None
        repo.record_referral_update(lead.id, event.status, event.reason, event.occurred_at)
        email, name = referrer_address(repo.contact(lead.id))
        if email is None:
            log.info("referrer_skipped", reason="no_referrer_email", status=event.status)
            return None
        kind = NoticeKind.referral_received if event.status == "received" else NoticeKind.referral_status
        link = status_link(
            settings.public_base_url, settings.secret_key.get_secret_value(), lead.reference, lead.id
        )
        view = NotificationView(
            kind=kind,
            recipient_display_name=name,
            received_at=lead.created_at,
            reference=lead.reference,
            link=link,
            status_word=event.status,
            reason_code=reason if event.status == "rejected" else None,
        )
        key = NoticeKey(
            kind=kind,
            recipient=email,
            lead_id=lead.id,
            step=REFERRAL_STEPS[event.status],
            triggered_at=event.occurred_at,
        )
    return deliver(uow, backend, Notice(key=key, view=view, actor=actor), retries)
