"""A verified SendGrid event batch, folded into the notifications, in one transaction with the
events it causes:
- a bounce or drop of a crisis or urgent coordinator notice: NotificationFailedV1 (routing
  re-notifies the next person on the ladder);
- any bounce or drop (but an alert's own): AlertRaisedV1 "address_bounced" for a supervisor.
"""

from __future__ import annotations

from shared.logging import get_logger
from shared.schema import NotificationStatus, Urgency

from services.notify.app.deliver import raise_alert, report_failure
from services.notify.app.ports import NotifyRepository, WebhookOutcome
from services.notify.domain.policy import SILENT_FAILURE_KINDS

log = get_logger(__name__)
# A failed notice whose loss routing must act on at once.
REROUTE_URGENCIES = (Urgency.crisis, Urgency.urgent)


def apply_batch(repo: NotifyRepository, events) -> WebhookOutcome:
    outcome = repo.apply_delivery_events(events)
    for row, reason in outcome.failures or []:
        code = "bounced" if row.status == NotificationStatus.bounced else "dropped"
        if row.kind in SILENT_FAILURE_KINDS:
            log.error("alert_email_bounced", notification_id=str(row.id), reason=reason)
            continue
        if row.urgency in REROUTE_URGENCIES:
            report_failure(repo, row, code)
        raise_alert(repo, row, "address_bounced", "critical" if row.urgency == Urgency.crisis else "warning")
        log.warning(
            "notification_bounced",
            notification_id=str(row.id),
            kind=row.kind,
            urgency=row.urgency,
            reason=reason,
        )
    log.info(
        "webhook_batch",
        received=len(events),
        stored=outcome.stored,
        duplicates=outcome.duplicates,
        unknown=outcome.unknown,
        changed=outcome.changed,
    )
    return outcome
