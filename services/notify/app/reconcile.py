"""The database's answer to "did that email arrive?" (beat runs it every minute).

- A notification SendGrid accepted (`sent`) with no delivery event past its deadline (10 minutes
  for crisis, an hour otherwise, by default) is marked overdue; for a coordinator's lead notice
  routing is told (NotificationFailedV1 reason "no_delivery_event") so the ladder moves on. A late
  `delivered` still lands: overdue is a flag, not a status. Only SendGrid sends are checked, and
  only when the Event Webhook is configured: SMTP and the file outbox report no delivery events.
- A crisis notice still not accepted past its send deadline (its retries lost with a broker, or the
  provider failing for minutes) raises the critical alarm and tells routing — even if no task is
  left to notice.
- Any other notice still unsent after every retry it could have had (its retry message lost with a
  broker restart) fails visibly: a supervisor alert, and routing's ladder moves on for lead notices.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.logging import get_logger
from shared.settings import get_settings

from services.notify.app.deliver import escalate_unsent_crisis, fail_notification, report_failure
from services.notify.app.ports import UnitOfWork
from services.notify.domain.policy import LADDER_KINDS, NEVER_SENT_AFTER

log = get_logger(__name__)
BATCH = 200


def reconcile(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    settings = get_settings()
    counts = {"overdue": 0, "crisis_unsent": 0, "never_sent": 0}
    if settings.sendgrid_webhook_public_key:
        crisis_cutoff = now - timedelta(seconds=settings.notify_delivery_deadline_crisis_seconds)
        other_cutoff = now - timedelta(seconds=settings.notify_delivery_deadline_other_seconds)
        with uow() as repo:
            for row in repo.sent_without_delivery_event(crisis_cutoff, other_cutoff, BATCH):
                if not repo.mark_overdue(row.id, now):
                    continue
                counts["overdue"] += 1
                report_failure(repo, row, "no_delivery_event")
                log.warning(
                    "notification_no_delivery_event",
                    notification_id=str(row.id),
                    kind=row.kind,
                    urgency=row.urgency,
                )
    send_cutoff = now - timedelta(seconds=settings.notify_crisis_send_deadline_seconds)
    with uow() as repo:
        stuck = repo.unsent_crisis_notices(LADDER_KINDS, send_cutoff, BATCH)
    for notification_id in stuck:
        if escalate_unsent_crisis(uow, notification_id):
            counts["crisis_unsent"] += 1
    with uow() as repo:
        abandoned = repo.abandoned_notices(now - NEVER_SENT_AFTER, BATCH)
    for notification_id in abandoned:
        fail_notification(uow, notification_id, "never_sent", status=None)
        counts["never_sent"] += 1
    return counts
