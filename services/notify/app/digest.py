"""The daily digest: each coordinator's open leads, once a day at their local digest hour.

Beat asks every 15 minutes which coordinators' local hour is the digest hour; the notice's key
includes the local date, so however often it runs, a coordinator gets one digest a day. Nobody
gets an empty digest. Supervisors' digests also count the public-form leads held for spam review
in the last day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.links import lead_link
from shared.logging import get_logger
from shared.schema import Coordinator
from shared.settings import get_settings

from services.notify.app.deliver import Notice, deliver
from services.notify.app.ports import NoticeKey, UnitOfWork
from services.notify.domain.compose import DigestItem, NotificationView
from services.notify.domain.message import EmailBackend
from services.notify.domain.policy import NoticeKind

log = get_logger(__name__)
MAX_ITEMS = 50


def local_now(coordinator: Coordinator, now: datetime) -> datetime:
    try:
        return now.astimezone(ZoneInfo(coordinator.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return now


def due_digests(uow: UnitOfWork, now: datetime) -> list[tuple[UUID, str]]:
    """(coordinator id, local date) for every active coordinator whose digest hour it is."""
    hour = get_settings().notify_digest_hour
    with uow() as repo:
        people = repo.active_coordinators()
    due = []
    for person in people:
        local = local_now(person, now)
        if local.hour == hour:
            due.append((person.id, local.date().isoformat()))
    return due


def send_digest(
    uow: UnitOfWork,
    backend: EmailBackend,
    coordinator_id: UUID,
    day: str,
    now: datetime,
    retries: int,
    actor: str,
) -> str | None:
    base = get_settings().public_base_url.rstrip("/")
    with uow() as repo:
        person = repo.coordinator(coordinator_id)
        if person is None or not person.active:
            return None
        leads = repo.open_leads_for(person.id)
        held = repo.spam_review_count(now - timedelta(days=1)) if person.role == "supervisor" else 0
        if not leads and not held:
            log.info("digest_skipped", reason="no_open_leads", coordinator_id=str(coordinator_id))
            return None
        items = tuple(
            DigestItem(
                reference=lead.reference,
                urgency=state.urgency,
                age_minutes=max(0, int((now - lead.created_at).total_seconds() // 60)),
                link=lead_link(lead.reference, person.id),
            )
            for lead, state in leads[:MAX_ITEMS]
        )
        view = NotificationView(
            kind=NoticeKind.daily_digest,
            recipient_display_name=person.name,
            received_at=now,
            reference=None,
            link=f"{base}/console",
            digest_items=items,
            spam_review_count=held,
        )
        key = NoticeKey(
            kind=NoticeKind.daily_digest,
            recipient=person.email,
            subject_key=f"digest:{day}",
            coordinator_id=person.id,
        )
    return deliver(uow, backend, Notice(key=key, view=view, actor=actor), retries)
