"""Notify's SQL: the `NotifyRepository` (app/ports.py) on one session. Notify writes only its own
rows (notification, delivery_event, referral_update); it reads leads and coordinators.

Every state change of a notification is a conditional UPDATE (status in the WHERE clause), so two
workers, a redelivered task and a webhook can race and still leave one consistent row.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, case, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.events import Event
from shared.outbox import add_event
from shared.schema import (
    AuditEvent,
    DeliveryEvent,
    Notification,
    NotificationStatus,
    ReferralUpdate,
)

from services.notify.adapters.notice_subjects import NoticeSubjects
from services.notify.domain import webhook
from services.notify.domain.notice import NoticeKey, WebhookOutcome
from services.notify.domain.page import CODE_DIGITS, EMAIL_CHANNEL, SMS_CHANNEL

PENDING = NotificationStatus.pending.value
SENDING = NotificationStatus.sending.value
SENT = NotificationStatus.sent.value
DONE = [
    s.value
    for s in (
        NotificationStatus.sent,
        NotificationStatus.delivered,
        NotificationStatus.bounced,
        NotificationStatus.failed,
    )
]


@contextmanager
def notify_uow() -> Iterator[SqlNotifyRepository]:
    """One transaction with notify's repository: commits when the block ends, rolls back on error."""
    with unit_of_work() as session:
        yield SqlNotifyRepository(session)


def _match(key: NoticeKey):
    query = select(Notification).where(Notification.recipient == key.recipient, Notification.kind == key.kind)
    if key.subject_key is not None:
        return query.where(Notification.subject_key == key.subject_key)
    return query.where(Notification.lead_id == key.lead_id, Notification.step == key.step)


class SqlNotifyRepository(NoticeSubjects):
    def __init__(self, session: Session) -> None:
        self.session = session

    def emit(self, event: Event) -> None:
        add_event(self.session, event)

    def audit(
        self,
        actor: str,
        action: str,
        lead_id: UUID | None,
        detail: dict | None = None,
        client_ip: str | None = None,
    ) -> None:
        self.session.add(
            AuditEvent(actor=actor, action=action, lead_id=lead_id, client_ip=client_ip, detail=detail or {})
        )

    # --- notifications: the send guard -------------------------------------------------------

    def find_or_create(self, key: NoticeKey) -> Notification:
        existing = self.session.exec(_match(key)).first()
        if existing:
            return existing
        row = Notification(
            lead_id=key.lead_id,
            assignment_id=key.assignment_id,
            recipient=key.recipient,
            kind=key.kind,
            step=key.step,
            subject_key=key.subject_key,
            coordinator_id=key.coordinator_id,
            urgency=key.urgency,
            triggered_at=key.triggered_at,
            channel=key.channel,
            ack_code=reply_code() if key.channel == SMS_CHANNEL else None,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:  # a concurrent duplicate created it first
            return self.session.exec(_match(key)).one()
        return row

    def claim(self, notification_id: UUID, now: datetime, stale_before: datetime) -> int | None:
        """pending → sending (or a `sending` row older than stale_before: its worker died). The
        attempt number when this caller won, else None."""
        result = self.session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .where(
                (col(Notification.status) == PENDING)
                | ((col(Notification.status) == SENDING) & (col(Notification.updated_at) < stale_before))
            )
            .values(status=SENDING, attempts=Notification.attempts + 1, updated_at=now)
            .returning(Notification.attempts)
        ).first()
        return result[0] if result else None

    def record_attempt(
        self,
        notification_id: UUID,
        *,
        status: str | None = None,
        error: str | None = None,
        ambiguous: bool = False,
    ) -> None:
        """Note a try's outcome. `status` applies only to a row still `sending`: a webhook that
        already moved the row further (processed, delivered, bounced) keeps its verdict."""
        values: dict = {"updated_at": utcnow()}
        if error:
            values["last_error"] = error[:200]
        if ambiguous:
            values["ambiguous_attempts"] = Notification.ambiguous_attempts + 1
        self.session.execute(
            update(Notification).where(col(Notification.id) == notification_id).values(**values)
        )
        if status:
            self.session.execute(
                update(Notification)
                .where(col(Notification.id) == notification_id)
                .where(col(Notification.status) == SENDING)
                .values(status=status)
            )

    def mark_sent(
        self, notification_id: UUID, message_id: str | None, backend: str, accepted_at: datetime
    ) -> None:
        """Accepted by the provider. The first acceptance fixes sent_at and the routed→accepted
        delay; a webhook that already said delivered/bounced keeps its (further) status."""
        row = self.session.get(Notification, notification_id)
        accept = None
        if row is not None and row.triggered_at is not None:
            accept = max(0.0, (accepted_at - row.triggered_at).total_seconds())
        self.session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .values(
                status=case((col(Notification.status) == SENDING, SENT), else_=col(Notification.status)),
                provider_message_id=message_id,
                backend=backend,
                updated_at=accepted_at,
                last_error=None,
                sent_at=func.coalesce(col(Notification.sent_at), accepted_at),
                accept_seconds=func.coalesce(col(Notification.accept_seconds), accept),
            )
        )

    def mark_failed(self, notification_id: UUID, error: str) -> bool:
        """pending/sending → failed. True when this call made the change."""
        result = self.session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id)
            .where(col(Notification.status).in_((PENDING, SENDING)))
            .values(status=NotificationStatus.failed.value, last_error=error[:200], updated_at=utcnow())
        )
        return result.rowcount == 1

    def mark_failure_reported(self, notification_id: UUID) -> bool:
        """Once per notification: True for the call that set it."""
        return (
            self.session.execute(
                update(Notification)
                .where(col(Notification.id) == notification_id)
                .where(col(Notification.failure_reported_at).is_(None))
                .values(failure_reported_at=utcnow())
            ).rowcount
            == 1
        )

    def mark_overdue(self, notification_id: UUID, now: datetime) -> bool:
        """A sent notice with no delivery event in time (once): True for the call that set it."""
        return (
            self.session.execute(
                update(Notification)
                .where(col(Notification.id) == notification_id)
                .where(col(Notification.overdue_at).is_(None))
                .where(col(Notification.status) == SENT)
                .values(overdue_at=now)
            ).rowcount
            == 1
        )

    def lock(self, notification_id: UUID) -> Notification | None:
        return self.session.exec(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        ).first()

    # --- the reconciler's scans --------------------------------------------------------------

    def sent_without_delivery_event(
        self, crisis_cutoff: datetime, other_cutoff: datetime, limit: int
    ) -> list[Notification]:
        """SendGrid-accepted notices with no delivery event, sent before their urgency's cutoff."""
        query = (
            select(Notification)
            .where(Notification.status == SENT, Notification.backend == "sendgrid")
            .where(col(Notification.overdue_at).is_(None))
            .where(
                or_(
                    and_(Notification.urgency == "crisis", col(Notification.sent_at) < crisis_cutoff),
                    and_(
                        or_(col(Notification.urgency).is_(None), Notification.urgency != "crisis"),
                        col(Notification.sent_at) < other_cutoff,
                    ),
                )
            )
            .order_by(col(Notification.sent_at))
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.exec(query).all())

    def unsent_crisis_notices(
        self, kinds: Iterable[str], triggered_before: datetime, limit: int
    ) -> list[UUID]:
        return list(
            self.session.exec(
                select(Notification.id)
                .where(col(Notification.status).in_((PENDING, SENDING)))
                .where(Notification.urgency == "crisis")
                .where(Notification.channel == EMAIL_CHANNEL)  # an unsent page has its own alarm
                .where(col(Notification.kind).in_(sorted(kinds)))
                .where(col(Notification.failure_reported_at).is_(None))
                .where(col(Notification.triggered_at) < triggered_before)
                .limit(limit)
            ).all()
        )

    def abandoned_notices(self, created_before: datetime, limit: int) -> list[UUID]:
        """Non-crisis notices still unsent long after every retry they could have had."""
        return list(
            self.session.exec(
                select(Notification.id)
                .where(col(Notification.status).in_((PENDING, SENDING)))
                .where(or_(col(Notification.urgency).is_(None), Notification.urgency != "crisis"))
                .where(col(Notification.created_at) < created_before)
                .limit(limit)
            ).all()
        )

    # --- referrals ---------------------------------------------------------------------------

    def record_referral_update(
        self, lead_id: UUID, status: str, reason: str | None, occurred_at: datetime
    ) -> None:
        if self.session.get(ReferralUpdate, (lead_id, status)) is not None:
            return
        try:
            with self.session.begin_nested():
                self.session.add(
                    ReferralUpdate(lead_id=lead_id, status=status, reason=reason, occurred_at=occurred_at)
                )
        except IntegrityError:
            pass  # the same event, handled concurrently

    def referral_updates(self, lead_id: UUID) -> list[ReferralUpdate]:
        return list(
            self.session.exec(
                select(ReferralUpdate)
                .where(ReferralUpdate.lead_id == lead_id)
                .order_by(col(ReferralUpdate.occurred_at))
            ).all()
        )

    # --- delivery events ---------------------------------------------------------------------

    def apply_delivery_events(self, events: Iterable[webhook.DeliveryEvent]) -> WebhookOutcome:
        """Store each new event and fold it into its notification's status (forward only). Returns
        the notifications that entered a failure in this batch, with the event that did it."""
        outcome = WebhookOutcome(failures=[])
        # Lock rows in one global order so concurrent batches cannot deadlock; the forward-only
        # status makes the order of events irrelevant to the result.
        for event in sorted(events, key=lambda e: e.notification_id):
            try:
                notification_id = UUID(event.notification_id)
            except ValueError:
                outcome.unknown += 1
                continue
            row = self.lock(notification_id)
            if row is None:  # another environment's email, or one deleted since
                outcome.unknown += 1
                continue
            key = event_key(event)
            if self.session.get(DeliveryEvent, key) is not None:
                outcome.duplicates += 1
                continue
            try:
                with self.session.begin_nested():
                    self.session.add(
                        DeliveryEvent(
                            sg_event_id=key,
                            notification_id=row.id,
                            event=event.event,
                            reason_code=event.reason_code,
                            occurred_at=event.timestamp,
                        )
                    )
            except IntegrityError:
                outcome.duplicates += 1
                continue
            outcome.stored += 1
            if event.timestamp and (row.last_event_at is None or event.timestamp > row.last_event_at):
                row.last_event_at = event.timestamp
            new_status = webhook.advance(row.status, event.event)
            if new_status is not None:
                entered_failure = webhook.is_failure(new_status) and not webhook.is_failure(row.status)
                row.status = new_status
                row.updated_at = utcnow()
                outcome.changed += 1
                if entered_failure:
                    outcome.failures.append((row, event.reason_code or event.event))
            self.session.add(row)
        self.session.flush()
        return outcome


def reply_code() -> str:
    """The digits a paged person texts back: random, so a code cannot be guessed from another."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def event_key(event: webhook.DeliveryEvent) -> str:
    """sg_event_id, or (rarely missing) a digest of what the event says, so a replay still dedupes."""
    if event.sg_event_id:
        return event.sg_event_id
    stamp = event.timestamp.isoformat() if event.timestamp else ""
    raw = f"{event.notification_id}|{event.event}|{stamp}|{event.reason_code or ''}"
    return "syn:" + hashlib.sha256(raw.encode()).hexdigest()[:40]
