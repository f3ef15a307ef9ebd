"""Routing's SQL: the `RoutingRepository` the use cases (app/) work through.

Row locks make concurrent tasks wait, then see the work already done. The lock order is the same
everywhere — the lead's state, then the coordinator rows (in id order), then its deadlines — so
the sweeper, a routing task and an acknowledgement never wait on each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from shared import inbox
from shared.auth.policy import LeadScope
from shared.db import unit_of_work
from shared.events import Event
from shared.outbox import add_event
from shared.readmodel.lead_scope import load_lead_scope
from shared.schema import (
    OPEN_STATUSES,
    Assignment,
    AuditEvent,
    Classification,
    Escalation,
    Lead,
    LeadContact,
    LeadState,
    LeadStatus,
    ReviewerCopy,
    RoutingAlert,
    SlaDeadline,
)

from services.routing.adapters.directory_snapshot import DirectorySnapshot
from services.routing.domain.codes import DeadlineStatus

_OPEN = [s.value for s in OPEN_STATUSES]


@contextmanager
def routing_uow() -> Iterator[SqlRoutingRepository]:
    """One transaction with routing's repository: commits when the block ends, rolls back on error."""
    with unit_of_work() as session:
        yield SqlRoutingRepository(session)


class SqlRoutingRepository(DirectorySnapshot):
    """Leads, assignments, deadlines and alerts; the directory snapshot comes from DirectorySnapshot."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- writing -----------------------------------------------------------------------------

    def add(self, row) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def emit(self, event: Event) -> None:
        add_event(self.session, event)

    def claim_event(self, consumer: str, event_id: UUID) -> bool:
        return inbox.claim(self.session, consumer, event_id)

    def audit(self, actor: str, action: str, lead_id: UUID | None = None, detail: dict | None = None) -> None:
        self.session.add(AuditEvent(actor=actor, action=action, lead_id=lead_id, detail=detail or {}))

    # --- leads -------------------------------------------------------------------------------

    def lock(self, lead_id: UUID) -> tuple[Lead, LeadState] | None:
        """The lead and its state, locked for this transaction. Routing's first touch of a lead
        creates its state row (`received`)."""
        lead = self.session.get(Lead, lead_id)
        if lead is None:
            return None
        if self.session.get(LeadState, lead_id) is None:
            try:
                with self.session.begin_nested():
                    self.session.add(
                        LeadState(
                            lead_id=lead_id,
                            status=LeadStatus.received.value,
                            status_changed_at=lead.created_at,
                        )
                    )
            except IntegrityError:
                pass  # created concurrently: the lock below waits for that transaction
        state = self.session.exec(
            select(LeadState)
            .where(LeadState.lead_id == lead_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        return lead, state

    def read(self, lead_id: UUID) -> tuple[Lead, LeadState] | None:
        """The lead and its state, unlocked and unchanged (a lead routing never touched reads as
        `received`, without creating its row)."""
        lead = self.session.get(Lead, lead_id)
        if lead is None:
            return None
        state = self.session.get(LeadState, lead_id)
        return lead, state or LeadState(
            lead_id=lead_id, status=LeadStatus.received, status_changed_at=lead.created_at
        )

    def lead_by_reference(self, reference: str) -> Lead | None:
        return self.session.exec(select(Lead).where(Lead.reference == reference)).first()

    def lock_by_reference(self, reference: str) -> tuple[Lead, LeadState] | None:
        lead_id = self.session.exec(select(Lead.id).where(Lead.reference == reference)).first()
        return self.lock(lead_id) if lead_id else None

    def lead_scope(self, lead_id: UUID) -> LeadScope | None:
        """Who may see and act on the lead (shared/auth/policy.py), as this transaction sees it."""
        self.session.flush()
        return load_lead_scope(self.session, lead_id)

    def classification(self, lead_id: UUID) -> Classification | None:
        return self.session.exec(select(Classification).where(Classification.lead_id == lead_id)).first()

    def contact(self, lead_id: UUID) -> LeadContact | None:
        """Intake's record of what the person wrote (read only): the classifier's input."""
        return self.session.get(LeadContact, lead_id)

    def open_lead_with_same_contact(self, lead: Lead, since: datetime) -> tuple[Lead, LeadState] | None:
        """The thread's first open lead from the same phone or email (every repeat links to it)."""
        keys = [(col(Lead.phone_hash), lead.phone_hash), (col(Lead.email_hash), lead.email_hash)]
        clauses = [column == value for column, value in keys if value]
        if not clauses:
            return None
        row = self.session.exec(
            select(Lead, LeadState)
            .join(LeadState, col(LeadState.lead_id) == col(Lead.id))
            .where(
                or_(*clauses),
                Lead.id != lead.id,
                col(LeadState.coordinator_id).is_not(None),
                col(LeadState.status).in_(_OPEN),
                col(Lead.created_at) >= since,
            )
            .order_by(col(Lead.created_at))
        ).first()
        return (row[0], row[1]) if row else None

    def waiting_due(self, now: datetime, limit: int) -> list[LeadState]:
        return list(
            self.session.exec(
                select(LeadState)
                .where(LeadState.status == LeadStatus.waiting.value, col(LeadState.route_after) <= now)
                .order_by(col(LeadState.route_after))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
        )

    def stuck_leads(
        self, statuses: list[str], touched_before: datetime, limit: int
    ) -> list[tuple[Lead, LeadState]]:
        """Leads in `statuses` untouched since `touched_before`, locked (others' locks skipped).
        A lead routing never touched has no state row yet: it is `received` since it was created."""
        status = func.coalesce(LeadState.status, LeadStatus.received.value)
        changed = func.coalesce(LeadState.status_changed_at, Lead.created_at)
        ids = self.session.exec(
            select(Lead.id)
            .outerjoin(LeadState, col(LeadState.lead_id) == col(Lead.id))
            .where(status.in_(statuses), changed < touched_before)
            .order_by(changed)
            .limit(limit)
        ).all()
        for lead_id in ids:
            if self.session.get(LeadState, lead_id) is None:
                try:
                    with self.session.begin_nested():
                        lead = self.session.get(Lead, lead_id)
                        self.session.add(
                            LeadState(
                                lead_id=lead_id,
                                status=LeadStatus.received.value,
                                status_changed_at=lead.created_at,
                            )
                        )
                except IntegrityError:
                    pass
        rows = self.session.exec(
            select(Lead, LeadState)
            .join(LeadState, col(LeadState.lead_id) == col(Lead.id))
            .where(col(Lead.id).in_(ids))
            .order_by(col(LeadState.status_changed_at))
            .with_for_update(of=LeadState, skip_locked=True)
        ).all()
        return [(lead, state) for lead, state in rows if state.status in statuses]

    def decliners(self, lead_id: UUID) -> set[UUID]:
        """Everyone who declined this lead (from the audit trail)."""
        rows = self.session.exec(
            select(AuditEvent).where(AuditEvent.lead_id == lead_id, AuditEvent.action == "lead.decline")
        ).all()
        return {
            UUID(a.detail["coordinator_id"])
            for a in rows
            if a.detail.get("coordinator_id") not in (None, "None")
        }

    # --- assignments, reviewers, escalations -------------------------------------------------

    def latest_assignment(self, lead_id: UUID) -> Assignment | None:
        return self.session.exec(
            select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.step).desc())
        ).first()

    def assignments(self, lead_id: UUID) -> list[Assignment]:
        return list(
            self.session.exec(
                select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.step))
            ).all()
        )

    def next_step(self, lead_id: UUID) -> int:
        top = self.session.exec(select(func.max(Assignment.step)).where(Assignment.lead_id == lead_id)).one()
        return 0 if top is None else top + 1

    def reviewer_copy(self, lead_id: UUID, coordinator_id: UUID) -> ReviewerCopy | None:
        return self.session.get(ReviewerCopy, (lead_id, coordinator_id))

    def reviewer_copies(self, lead_id: UUID) -> list[ReviewerCopy]:
        return list(self.session.exec(select(ReviewerCopy).where(ReviewerCopy.lead_id == lead_id)).all())

    def escalations(self, lead_id: UUID) -> list[Escalation]:
        return list(
            self.session.exec(
                select(Escalation).where(Escalation.lead_id == lead_id).order_by(col(Escalation.created_at))
            ).all()
        )

    def escalation_recipients(self, lead_id: UUID) -> set[UUID]:
        return set(
            self.session.exec(select(Escalation.coordinator_id).where(Escalation.lead_id == lead_id)).all()
        )

    def latest_ladder_escalation(self, lead_id: UUID) -> Escalation | None:
        return self.session.exec(
            select(Escalation)
            .where(Escalation.lead_id == lead_id, Escalation.kind == "escalation")
            .order_by(col(Escalation.created_at).desc(), col(Escalation.step).desc())
        ).first()

    # --- deadlines ---------------------------------------------------------------------------

    def pending_deadlines(self, lead_id: UUID) -> list[SlaDeadline]:
        return list(
            self.session.exec(
                select(SlaDeadline).where(
                    SlaDeadline.lead_id == lead_id, SlaDeadline.status == DeadlineStatus.pending.value
                )
            ).all()
        )

    def deadlines(self, lead_id: UUID) -> list[SlaDeadline]:
        return list(
            self.session.exec(
                select(SlaDeadline).where(SlaDeadline.lead_id == lead_id).order_by(col(SlaDeadline.due_at))
            ).all()
        )

    def deadline_exists(self, lead_id: UUID, kind: str, step: int) -> bool:
        return (
            self.session.exec(
                select(SlaDeadline.id).where(
                    SlaDeadline.lead_id == lead_id, SlaDeadline.kind == kind, SlaDeadline.step == step
                )
            ).first()
            is not None
        )

    def due_deadlines(self, now: datetime, limit: int) -> list[UUID]:
        return list(
            self.session.exec(
                select(SlaDeadline.id)
                .where(SlaDeadline.status == DeadlineStatus.pending.value, col(SlaDeadline.due_at) <= now)
                .order_by(col(SlaDeadline.due_at))
                .limit(limit)
            ).all()
        )

    def lead_of_deadline(self, deadline_id: UUID) -> UUID | None:
        return self.session.exec(select(SlaDeadline.lead_id).where(SlaDeadline.id == deadline_id)).first()

    def lock_deadline(self, deadline_id: UUID) -> SlaDeadline | None:
        return self.session.exec(
            select(SlaDeadline).where(SlaDeadline.id == deadline_id).with_for_update()
        ).first()

    # --- alerts ------------------------------------------------------------------------------

    def add_alert_once(self, row: RoutingAlert) -> bool:
        """False when an alert of this kind and key exists (or was raised concurrently)."""
        existing = self.session.exec(
            select(RoutingAlert.id).where(
                RoutingAlert.kind == row.kind, RoutingAlert.dedup_key == row.dedup_key
            )
        ).first()
        if existing is not None:
            return False
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True

    def open_alerts(self, kind: str, key_prefix: str) -> list[RoutingAlert]:
        return list(
            self.session.exec(
                select(RoutingAlert).where(
                    RoutingAlert.kind == kind,
                    col(RoutingAlert.resolved_at).is_(None),
                    col(RoutingAlert.dedup_key).startswith(key_prefix),
                )
            ).all()
        )
