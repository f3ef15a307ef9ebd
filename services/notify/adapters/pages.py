"""Notify's SQL for SMS pages: find the page a reply answers, and the page a Twilio status
callback is about. Every status change is a conditional UPDATE, forward only, so a redelivered or
out-of-order callback leaves one consistent row."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import update
from sqlmodel import Session, col, select

from shared.clock import utcnow
from shared.schema import Notification, NotificationStatus

from services.notify.domain.page import SMS_CHANNEL

_NOT_FINAL = (
    NotificationStatus.pending.value,
    NotificationStatus.sending.value,
    NotificationStatus.sent.value,
)


class SqlPageStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page_for_reply(self, phone: str, code: str, since: datetime) -> Notification | None:
        """The newest page to this phone with this code, sent since `since`."""
        return self.session.exec(
            select(Notification)
            .where(Notification.channel == SMS_CHANNEL)
            .where(Notification.recipient == phone, Notification.ack_code == code)
            .where(col(Notification.created_at) >= since)
            .order_by(col(Notification.created_at).desc())
            .limit(1)
        ).first()

    def page_by_message_id(self, message_id: str) -> Notification | None:
        return self.session.exec(
            select(Notification)
            .where(Notification.channel == SMS_CHANNEL, Notification.provider_message_id == message_id)
            .with_for_update()
        ).first()

    def mark_delivered(self, notification_id: UUID, now: datetime) -> bool:
        return self._advance(notification_id, NotificationStatus.delivered.value, None, now)

    def mark_undelivered(self, notification_id: UUID, reason: str, now: datetime) -> bool:
        return self._advance(notification_id, NotificationStatus.failed.value, reason, now)

    def _advance(self, notification_id: UUID, status: str, reason: str | None, now: datetime) -> bool:
        values: dict = {"status": status, "updated_at": utcnow(), "last_event_at": now}
        if reason:
            values["last_error"] = reason[:200]
        result = self.session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .where(col(Notification.status).in_(_NOT_FINAL))
            .values(**values)
        )
        return result.rowcount == 1
