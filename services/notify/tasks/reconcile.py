"""notify.reconcile_deliveries: the database's answer to "did that email arrive?".

- A notification SendGrid accepted (`sent`) that has had no delivery event past its deadline (10
  minutes for crisis, an hour otherwise, by default) is marked overdue; for a coordinator's lead
  notice routing is told (NotificationFailedV1 reason "no_delivery_event") so the ladder moves on.
  A late `delivered` still lands: overdue is a flag, not a status.
  Only SendGrid sends are checked, and only when the Event Webhook is configured (its public key is
  set): SMTP and the file outbox report no delivery events.
- A crisis notice still not accepted past its send deadline (its retries lost with a broker, or the
  provider failing for minutes) raises the critical alarm and tells routing — even if no task is
  left to notice.
- Any other notice still unsent after every retry it could have had (its retry message lost with a
  broker restart) fails visibly: a supervisor alert, and routing's ladder moves on for lead notices.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from shared.celery import celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.logging import get_logger
from shared.models import Notification
from shared.outbox import beat
from shared.settings import get_settings
from shared.tasks import RECONCILE_DELIVERIES

from services.notify.adapters import repository as repo
from services.notify.domain.policy import LADDER_KINDS, NEVER_SENT_AFTER
from services.notify.tasks.deliver import escalate_unsent_crisis, fail_notification

log = get_logger(__name__)
BATCH = 200


def reconcile_once(now: datetime | None = None) -> dict[str, int]:
    settings = get_settings()
    now = now or utcnow()
    counts = {"overdue": 0, "crisis_unsent": 0, "never_sent": 0}
    if settings.sendgrid_webhook_public_key:
        crisis_cutoff = now - timedelta(seconds=settings.notify_delivery_deadline_crisis_seconds)
        other_cutoff = now - timedelta(seconds=settings.notify_delivery_deadline_other_seconds)
        with unit_of_work() as session:
            query = (
                select(Notification)
                .where(Notification.status == repo.SENT, Notification.backend == "sendgrid")
                .where(col(Notification.overdue_at).is_(None))
                .where(or_(
                    and_(Notification.urgency == "crisis", col(Notification.sent_at) < crisis_cutoff),
                    and_(or_(col(Notification.urgency).is_(None), Notification.urgency != "crisis"),
                         col(Notification.sent_at) < other_cutoff),
                ))
                .order_by(col(Notification.sent_at)).limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for row in session.exec(query).all():
                won = session.execute(
                    update(Notification).where(col(Notification.id) == row.id)
                    .where(col(Notification.overdue_at).is_(None)).where(col(Notification.status) == repo.SENT)
                    .values(overdue_at=now)
                ).rowcount == 1
                if not won:
                    continue
                counts["overdue"] += 1
                repo.report_failure(session, row, "no_delivery_event")
                log.warning("notification_no_delivery_event", notification_id=str(row.id), kind=row.kind,
                            urgency=row.urgency)
    send_cutoff = now - timedelta(seconds=settings.notify_crisis_send_deadline_seconds)
    with unit_of_work() as session:
        stuck = session.exec(
            select(Notification.id)
            .where(col(Notification.status).in_((repo.PENDING, repo.SENDING)))
            .where(Notification.urgency == "crisis")
            .where(col(Notification.kind).in_(sorted(LADDER_KINDS)))
            .where(col(Notification.failure_reported_at).is_(None))
            .where(col(Notification.triggered_at) < send_cutoff)
            .limit(BATCH)
        ).all()
    for notification_id in stuck:
        if escalate_unsent_crisis(notification_id):
            counts["crisis_unsent"] += 1
    with unit_of_work() as session:
        abandoned = session.exec(
            select(Notification.id)
            .where(col(Notification.status).in_((repo.PENDING, repo.SENDING)))
            .where(or_(col(Notification.urgency).is_(None), Notification.urgency != "crisis"))
            .where(col(Notification.created_at) < now - NEVER_SENT_AFTER)
            .limit(BATCH)
        ).all()
    for notification_id in abandoned:
        fail_notification(notification_id, "never_sent", status=None)
        counts["never_sent"] += 1
    return counts


@celery_app.task(name=RECONCILE_DELIVERIES, acks_late=True, reject_on_worker_lost=True)
def reconcile_deliveries() -> dict[str, int]:
    counts = reconcile_once()
    beat("notify-reconciler")
    if any(counts.values()):
        log.info("deliveries_reconciled", **counts)
    return counts
