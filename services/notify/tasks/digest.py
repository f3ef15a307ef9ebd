"""notify.send_daily_digests (beat, every 15 minutes) queues notify.send_digest for each
coordinator whose local digest hour it is (app/digest.py)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from shared.celery import celery_app
from shared.clock import utcnow
from shared.logging import get_logger
from shared.retry import pipeline_task
from shared.tasks import NOTIFY_QUEUE, SEND_DAILY_DIGESTS, SEND_DIGEST

from services.notify.adapters.email import email_backend
from services.notify.adapters.repository import notify_uow
from services.notify.app import digest

log = get_logger(__name__)


def due_digests(now: datetime | None = None) -> list[tuple[UUID, str]]:
    return digest.due_digests(notify_uow, now or utcnow())


@celery_app.task(name=SEND_DAILY_DIGESTS, acks_late=True, reject_on_worker_lost=True)
def send_daily_digests() -> int:
    due = due_digests()
    for coordinator_id, day in due:
        send_digest.apply_async(args=[str(coordinator_id), day], queue=NOTIFY_QUEUE)
    log.info("digests_queued", count=len(due))
    return len(due)


@pipeline_task(SEND_DIGEST)
def send_digest(self, coordinator_id: str, day: str, now: str | None = None) -> str | None:
    date.fromisoformat(day)  # a malformed day is a bug: fail loudly
    moment = datetime.fromisoformat(now) if now else utcnow()
    return digest.send_digest(
        notify_uow,
        email_backend(),
        UUID(coordinator_id),
        day,
        moment,
        self.request.retries or 0,
        f"task:{SEND_DIGEST}",
    )
