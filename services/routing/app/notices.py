"""What notify tells routing about its emails.

- `notification.sent`: a coordinator's new-lead notice left → the lead moves routed → notified.
- `notification.failed`: an email to the person holding the lead failed for good (bounced,
  dropped, rejected, never delivered) → the ladder moves on now instead of at the SLA deadline.
"""

from __future__ import annotations

from datetime import datetime

from shared.events import NotificationFailedV1, NotificationSentV1
from shared.logging import get_logger
from shared.schema import LeadStatus

from services.routing.app.deadlines import advance_ladder
from services.routing.app.ports import RoutingRepository
from services.routing.domain.codes import EscalationCause
from services.routing.domain.lifecycle import UNACKNOWLEDGED

log = get_logger(__name__)
# The notices a `lead.routed` event asks for. Escalations and crisis repeats never mark a lead
# notified: its assignee may still not know.
ROUTED_NOTICE_KINDS = frozenset({"lead_assigned", "repeat_contact", "reassignment"})


def record_notification_sent(repo: RoutingRepository, event: NotificationSentV1, now: datetime) -> str:
    """Idempotent by the status: only a `routed` lead becomes `notified`, so a repeat is harmless."""
    if event.kind not in ROUTED_NOTICE_KINDS:
        return "ignored"
    held = repo.lock(event.lead_id)
    if held is None:
        return "no_such_lead"
    lead, state = held
    if state.status != LeadStatus.routed:
        return "ignored"
    state.status = LeadStatus.notified
    if lead.canary:  # its journey is over: out of every open count (shared/canary.py)
        state.status = LeadStatus.closed
        state.outcome_reason = "canary_delivered"
    state.status_changed_at = now
    repo.add(state)
    return state.status


def notification_failed(repo: RoutingRepository, event: NotificationFailedV1, now: datetime) -> str:
    """Only a failure of the email to whoever holds the lead now moves the ladder."""
    held = repo.lock(event.lead_id)
    if held is None:
        return "no_such_lead"
    lead, state = held
    if lead.canary:  # never a ladder for the canary: /healthz/deep reports it undelivered instead
        log.warning("canary_notification_failed", lead_id=str(lead.id), reason=event.reason)
        return "ignored"
    if state.status not in UNACKNOWLEDGED:
        return "ignored"
    if state.escalation_step == 0:
        current = state.coordinator_id
    else:
        last = repo.latest_ladder_escalation(lead.id)
        current = last.coordinator_id if last else None
    recipient = event.recipient_coordinator_id
    if recipient is not None and recipient != current:
        return "ignored"
    advance_ladder(repo, lead, state, now, cause=EscalationCause.notification_failed)
    log.info("notification_failure_handled", outcome="escalated", reason=event.reason)
    return "escalated"
