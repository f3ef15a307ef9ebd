"""What notices are about, read from other services' tables (read only): the lead, its contact
preference, coordinators, a coordinator's open leads, the leads held for spam review."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, func, select

from shared.schema import (
    OPEN_STATUSES,
    Assignment,
    Coordinator,
    CrisisCheck,
    Lead,
    LeadContact,
    LeadState,
    LeadStatus,
)


class NoticeSubjects:
    session: Session

    def lead(self, lead_id: UUID | None) -> Lead | None:
        return self.session.get(Lead, lead_id) if lead_id else None

    def lead_by_reference(self, reference: str) -> Lead | None:
        return self.session.exec(select(Lead).where(Lead.reference == reference)).first()

    def contact(self, lead_id: UUID) -> LeadContact | None:
        return self.session.get(LeadContact, lead_id)

    def coordinator(self, coordinator_id: UUID | None) -> Coordinator | None:
        return self.session.get(Coordinator, coordinator_id) if coordinator_id else None

    def active_coordinators(self) -> list[Coordinator]:
        return list(self.session.exec(select(Coordinator).where(col(Coordinator.active).is_(True))).all())

    def open_leads_for(self, coordinator_id: UUID) -> list[tuple[Lead, LeadState]]:
        """Open leads whose latest assignment is this coordinator's, oldest first."""
        rows = self.session.exec(
            select(Assignment, Lead, LeadState)
            .join(Lead, col(Lead.id) == col(Assignment.lead_id))
            .join(LeadState, col(LeadState.lead_id) == col(Lead.id))
            .where(col(LeadState.status).in_([s.value for s in OPEN_STATUSES]))
            .order_by(col(Assignment.lead_id), col(Assignment.step))
        ).all()
        latest: dict[UUID, tuple[Assignment, Lead, LeadState]] = {}
        for assignment, lead, state in rows:
            current = latest.get(lead.id)
            if current is None or (assignment.step, assignment.created_at) >= (
                current[0].step,
                current[0].created_at,
            ):
                latest[lead.id] = (assignment, lead, state)
        mine = [
            (lead, state)
            for assignment, lead, state in latest.values()
            if assignment.coordinator_id == coordinator_id
        ]
        return sorted(mine, key=lambda pair: pair[0].created_at)

    def preferred_contact_method(self, lead_id: UUID) -> str | None:
        """How the person chose to be contacted (a code; the PHI columns are not read)."""
        return self.session.exec(
            select(LeadContact.preferred_contact_method).where(LeadContact.lead_id == lead_id)
        ).first()

    def possible_crisis_pending(self, lead_id: UUID) -> bool:
        """A possible crisis nobody has confirmed or downgraded yet (routing's lead_state, read only)."""
        return (
            self.session.exec(select(LeadState.crisis_check).where(LeadState.lead_id == lead_id)).first()
            == CrisisCheck.pending
        )

    def spam_review_count(self, since: datetime) -> int:
        """Leads held for spam review since `since` (supervisors see the number in their digest)."""
        return self.session.exec(
            select(func.count())
            .select_from(LeadState)
            .where(
                LeadState.status == LeadStatus.spam_review.value, col(LeadState.status_changed_at) >= since
            )
        ).one()
