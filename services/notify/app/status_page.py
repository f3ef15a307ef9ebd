"""A referrer's status page: the signed token opens this one referral's page and nothing else.

It shows the reference, the FHIR Task status word and dates — no PHI, no reason text, nothing
about the person referred — so a forwarded email reveals nothing more than itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.settings import get_settings

from services.notify.app.ports import NotifyRepository
from services.notify.domain.status_link import StatusLinkInvalid, verify_status_token

TERMINAL = ("rejected", "completed")


@dataclass(frozen=True)
class ReferralStatus:
    reference: str
    current: str
    received_at: datetime
    history: list[tuple[str, datetime]]


def referral_status(
    repo: NotifyRepository, reference: str, token: str, client_ip: str | None
) -> ReferralStatus:
    """Raises StatusLinkInvalid. Every view is audited."""
    settings = get_settings()
    lead_id = verify_status_token(
        settings.secret_key.get_secret_value(), token, reference, settings.referral_link_ttl_seconds
    )
    lead = repo.lead_by_reference(reference)
    if lead is None or lead.id != lead_id or lead.channel != "referral":
        raise StatusLinkInvalid("link_invalid")
    history = [(u.status, u.occurred_at) for u in repo.referral_updates(lead.id)] or [
        ("received", lead.created_at)
    ]
    repo.audit("link:referrer", "referral.status_view", lead.id, client_ip=client_ip)
    terminal = [h for h in history if h[0] in TERMINAL]
    current = (terminal or history)[-1][0]  # a late "in-progress" never hides "completed"
    return ReferralStatus(reference=reference, current=current, received_at=lead.created_at, history=history)
