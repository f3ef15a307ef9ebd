"""The daily digest: each coordinator's open leads, once a day at their local digest hour.

`notify.send_daily_digests` runs on beat every 15 minutes and queues `notify.send_digest` for
each active coordinator whose local hour is the digest hour; the notice's key includes the local
date, so however often it runs, a coordinator gets one digest a day. Nobody gets an empty digest.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import select

from shared.celery import PIPELINE_TASK_OPTIONS, celery_app
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.links import lead_link
from shared.logging import get_logger
from shared.models import Coordinator
from shared.settings import get_settings
from shared.tasks import NOTIFY_QUEUE, SEND_DAILY_DIGESTS, SEND_DIGEST

from services.notify.adapters import repository as repo
from services.notify.domain.compose import DigestItem, NotificationView
from services.notify.tasks.deliver import Notice, deliver_or_retry

log = get_logger(__name__)
KIND = "daily_digest"
MAX_ITEMS = 50


def local_now(coordinator: Coordinator, now: datetime) -> datetime:
    try:
        return now.astimezone(ZoneInfo(coordinator.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return now


def due_digests(now: datetime | None = None) -> list[tuple[UUID, str]]:
    """(coordinator id, local date) for every active coordinator whose digest hour it is."""
    now = now or utcnow()
    hour = get_settings().notify_digest_hour
    with unit_of_work() as session:
        people = session.exec(select(Coordinator).where(Coordinator.active == True)).all()
        due = []
        for person in people:
            local = local_now(person, now)
            if local.hour == hour:
                due.append((person.id, local.date().isoformat()))
    return due


@celery_app.task(name=SEND_DAILY_DIGESTS, acks_late=True, reject_on_worker_lost=True)
def send_daily_digests() -> int:
    due = due_digests()
    for coordinator_id, day in due:
        send_digest.apply_async(args=[str(coordinator_id), day], queue=NOTIFY_QUEUE)
    log.info("digests_queued", count=len(due))
    return len(due)


@celery_app.task(name=SEND_DIGEST, **PIPELINE_TASK_OPTIONS)
def send_digest(self, coordinator_id: str, day: str, now: str | None = None) -> str | None:
    date.fromisoformat(day)  # a malformed day is a bug: fail loudly
    moment = datetime.fromisoformat(now) if now else utcnow()
    base = get_settings().public_base_url.rstrip("/")
    with unit_of_work() as session:
        person = session.get(Coordinator, UUID(coordinator_id))
        if person is None or not person.active:
            return None
        leads = repo.open_leads_for(session, person.id)
        if not leads:
            log.info("digest_skipped", reason="no_open_leads", coordinator_id=coordinator_id)
            return None
        items = tuple(
            DigestItem(reference=lead.reference, urgency=lead.urgency,
                       age_minutes=max(0, int((moment - lead.created_at).total_seconds() // 60)),
                       link=lead_link(lead.reference, person.id))
            for lead in leads[:MAX_ITEMS]
        )
        view = NotificationView(kind=KIND, recipient_display_name=person.name, received_at=moment, reference=None,
                                link=f"{base}/console", digest_items=items)
        key = repo.NoticeKey(kind=KIND, recipient=person.email, subject_key=f"digest:{day}",
                             coordinator_id=person.id)
    return deliver_or_retry(self, Notice(key=key, view=view, actor=f"task:{SEND_DIGEST}"))
