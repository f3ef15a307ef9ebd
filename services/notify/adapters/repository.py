"""Notify's queries and writes. Tasks and the API call these; nothing else touches notify's rows.

Every state change of a notification is a conditional UPDATE (status in the WHERE clause), so two
workers, a redelivered task and a webhook can race and still leave one consistent row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import case, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.clock import utcnow
from shared.events import AlertRaisedV1, NotificationFailedV1
from shared.models import (
    Assignment,
    Coordinator,
    DeliveryEvent,
    Lead,
    LeadStatus,
    Notification,
    NotificationStatus,
    ReferralUpdate,
    TERMINAL_STATUSES,
)
from shared.outbox import add_event

from services.notify.domain import webhook
from services.notify.domain.policy import LADDER_KINDS, SILENT_FAILURE_KINDS

PENDING = NotificationStatus.pending.value
SENDING = NotificationStatus.sending.value
SENT = NotificationStatus.sent.value
DELIVERED = NotificationStatus.delivered.value
FAILED = NotificationStatus.failed.value
DONE = frozenset({SENT, DELIVERED, NotificationStatus.bounced.value, FAILED})
# Leads a coordinator still has to act on (the daily digest lists these).
OPEN_LEAD_STATUSES = (LeadStatus.routed.value, LeadStatus.notified.value, LeadStatus.acknowledged.value,
                      LeadStatus.contacted.value)


@dataclass(frozen=True)
class NoticeKey:
    """What makes a notification unique: (lead, recipient, kind, step), or (subject, recipient, kind)."""

    kind: str
    recipient: str
    lead_id: UUID | None = None
    step: int = 0
    subject_key: str | None = None
    coordinator_id: UUID | None = None
    assignment_id: UUID | None = None
    urgency: str | None = None
    triggered_at: datetime | None = None


def _match(key: NoticeKey):
    query = select(Notification).where(Notification.recipient == key.recipient, Notification.kind == key.kind)
    if key.subject_key is not None:
        return query.where(Notification.subject_key == key.subject_key)
    return query.where(Notification.lead_id == key.lead_id, Notification.step == key.step)


def find_or_create(session: Session, key: NoticeKey) -> Notification:
    existing = session.exec(_match(key)).first()
    if existing:
        return existing
    row = Notification(
        lead_id=key.lead_id, assignment_id=key.assignment_id, recipient=key.recipient, kind=key.kind,
        step=key.step, subject_key=key.subject_key, coordinator_id=key.coordinator_id, urgency=key.urgency,
        triggered_at=key.triggered_at,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent duplicate created it first
        return session.exec(_match(key)).one()
    return row


def claim(session: Session, notification_id: UUID, now: datetime, stale_before: datetime) -> int | None:
    """pending → sending (or a `sending` row older than stale_before: its worker died). The attempt
    number when this caller won, else None."""
    result = session.execute(
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


def record_attempt(session: Session, notification_id: UUID, *, status: str | None = None,
                   error: str | None = None, ambiguous: bool = False) -> None:
    """Note a try's outcome. `status` applies only to a row still `sending`: a webhook that already
    moved the row further (processed, delivered, bounced) keeps its verdict."""
    values: dict = {"updated_at": utcnow()}
    if error:
        values["last_error"] = error[:200]
    if ambiguous:
        values["ambiguous_attempts"] = Notification.ambiguous_attempts + 1
    session.execute(update(Notification).where(col(Notification.id) == notification_id).values(**values))
    if status:
        session.execute(
            update(Notification).where(col(Notification.id) == notification_id)
            .where(col(Notification.status) == SENDING).values(status=status)
        )


def mark_sent(session: Session, notification_id: UUID, message_id: str | None, backend: str,
              accepted_at: datetime) -> None:
    """Accepted by the provider. The first acceptance fixes sent_at and the routed→accepted delay;
    a webhook that already said delivered/bounced keeps its (further) status."""
    row = session.get(Notification, notification_id)
    accept = None
    if row is not None and row.triggered_at is not None:
        accept = max(0.0, (accepted_at - row.triggered_at).total_seconds())
    session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id)
        .values(
            status=case((col(Notification.status) == SENDING, SENT), else_=col(Notification.status)),
            provider_message_id=message_id, backend=backend, updated_at=accepted_at, last_error=None,
            sent_at=func.coalesce(col(Notification.sent_at), accepted_at),
            accept_seconds=func.coalesce(col(Notification.accept_seconds), accept),
        )
    )


def mark_failed(session: Session, notification_id: UUID, error: str) -> bool:
    """pending/sending → failed. True when this call made the change."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id)
        .where(col(Notification.status).in_((PENDING, SENDING)))
        .values(status=FAILED, last_error=error[:200], updated_at=utcnow())
    )
    return result.rowcount == 1


def report_failure(session: Session, row: Notification, reason: str) -> bool:
    """Tell routing this notice will not reach its person (once per notification): it moves the
    ladder on. Only coordinator notices about a lead move a ladder. True when reported now."""
    if row.kind not in LADDER_KINDS or row.lead_id is None:
        return False
    won = session.execute(
        update(Notification)
        .where(col(Notification.id) == row.id)
        .where(col(Notification.failure_reported_at).is_(None))
        .values(failure_reported_at=utcnow())
    ).rowcount == 1
    if won:
        add_event(session, NotificationFailedV1(
            notification_id=row.id, lead_id=row.lead_id, step=row.step, reason=reason[:64],
            recipient_coordinator_id=row.coordinator_id,
            urgency=row.urgency if row.urgency in ("crisis", "urgent", "routine") else None,
        ))
    return won


def raise_alert(session: Session, row: Notification, code: str, severity: str) -> bool:
    """An alert for supervisors about this notice, unless the notice is itself an alert."""
    if row.kind in SILENT_FAILURE_KINDS:
        return False
    add_event(session, AlertRaisedV1(alert_id=uuid4(), kind=code, severity=severity, lead_id=row.lead_id,
                                     coordinator_id=row.coordinator_id))
    return True


def lock(session: Session, notification_id: UUID) -> Notification | None:
    return session.exec(
        select(Notification).where(Notification.id == notification_id).with_for_update()
    ).first()


def mark_lead_notified(session: Session, lead_id: UUID | None) -> None:
    if lead_id is None:
        return
    lead = session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()).first()
    if lead is not None and lead.status == LeadStatus.routed.value:
        lead.status = LeadStatus.notified.value
        lead.status_changed_at = utcnow()
        session.add(lead)


# --- who receives what ---------------------------------------------------------------------------


def alert_recipients(session: Session) -> list[Coordinator]:
    """Active supervisors; with none (or before coordinators had roles), the on-call coordinators."""
    active = list(session.exec(select(Coordinator).where(Coordinator.active == True)).all())
    supervisors = [c for c in active if _is_supervisor(c)]
    if supervisors:
        return supervisors
    return [c for c in active if c.on_call]


def _is_supervisor(coordinator: Coordinator) -> bool:
    role = getattr(coordinator, "role", None)
    roles = getattr(coordinator, "roles", None)
    return role == "supervisor" or (isinstance(roles, (list, tuple)) and "supervisor" in roles)


def open_leads_for(session: Session, coordinator_id: UUID) -> list[Lead]:
    """Open leads whose latest assignment is this coordinator's, oldest first."""
    rows = session.exec(
        select(Assignment, Lead)
        .join(Lead, col(Lead.id) == col(Assignment.lead_id))
        .where(col(Lead.status).in_(OPEN_LEAD_STATUSES))
        .where(col(Lead.status).not_in([s.value for s in TERMINAL_STATUSES]))
        .order_by(col(Assignment.lead_id), col(Assignment.step))
    ).all()
    latest: dict[UUID, tuple[Assignment, Lead]] = {}
    for assignment, lead in rows:
        current = latest.get(lead.id)
        if current is None or (assignment.step, assignment.created_at) >= (current[0].step, current[0].created_at):
            latest[lead.id] = (assignment, lead)
    mine = [lead for assignment, lead in latest.values() if assignment.coordinator_id == coordinator_id]
    return sorted(mine, key=lambda lead: lead.created_at)


def record_referral_update(session: Session, lead_id: UUID, status: str, reason: str | None,
                           occurred_at: datetime) -> None:
    if session.get(ReferralUpdate, (lead_id, status)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(ReferralUpdate(lead_id=lead_id, status=status, reason=reason, occurred_at=occurred_at))
    except IntegrityError:
        pass  # the same event, handled concurrently


def referral_updates(session: Session, lead_id: UUID) -> list[ReferralUpdate]:
    return list(session.exec(
        select(ReferralUpdate).where(ReferralUpdate.lead_id == lead_id).order_by(col(ReferralUpdate.occurred_at))
    ).all())


# --- delivery events -----------------------------------------------------------------------------


@dataclass
class WebhookOutcome:
    stored: int = 0
    duplicates: int = 0
    unknown: int = 0
    changed: int = 0
    failures: list[tuple[Notification, str]] | None = None


def event_key(event: webhook.DeliveryEvent) -> str:
    """sg_event_id, or (rarely missing) a digest of what the event says, so a replay still dedupes."""
    if event.sg_event_id:
        return event.sg_event_id
    stamp = event.timestamp.isoformat() if event.timestamp else ""
    raw = f"{event.notification_id}|{event.event}|{stamp}|{event.reason_code or ''}"
    return "syn:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def apply_delivery_events(session: Session, events: Iterable[webhook.DeliveryEvent]) -> WebhookOutcome:
    """Store each new event and fold it into its notification's status (forward only). Returns the
    notifications that entered a failure in this batch, with the event that did it."""
    outcome = WebhookOutcome(failures=[])
    # Lock rows in one global order so concurrent batches cannot deadlock; the forward-only status
    # makes the order of events irrelevant to the result.
    for event in sorted(events, key=lambda e: e.notification_id):
        try:
            notification_id = UUID(event.notification_id)
        except ValueError:
            outcome.unknown += 1
            continue
        row = lock(session, notification_id)
        if row is None:  # another environment's email, or one deleted since
            outcome.unknown += 1
            continue
        key = event_key(event)
        if session.get(DeliveryEvent, key) is not None:
            outcome.duplicates += 1
            continue
        try:
            with session.begin_nested():
                session.add(DeliveryEvent(sg_event_id=key, notification_id=row.id, event=event.event,
                                          reason_code=event.reason_code, occurred_at=event.timestamp))
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
        session.add(row)
    session.flush()
    return outcome
