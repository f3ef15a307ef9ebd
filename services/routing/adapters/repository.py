"""Queries the routing tasks need. Row locks make concurrent duplicate tasks wait, then see the
work already done."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import Session, col, func, select

from shared.models import Assignment, Classification, Coordinator, Lead, LeadContact, LeadStatus

from services.routing.domain.router import CoordinatorInfo

OPEN_STATUSES = (
    LeadStatus.routed.value,
    LeadStatus.notified.value,
    LeadStatus.acknowledged.value,
    LeadStatus.contacted.value,
)


def lock_lead(session: Session, lead_id: UUID) -> Lead | None:
    return session.exec(select(Lead).where(Lead.id == lead_id).with_for_update()).first()


def get_contact(session: Session, lead_id: UUID) -> LeadContact | None:
    return session.get(LeadContact, lead_id)


def get_classification(session: Session, lead_id: UUID) -> Classification | None:
    return session.exec(select(Classification).where(Classification.lead_id == lead_id)).first()


def latest_assignment(session: Session, lead_id: UUID) -> Assignment | None:
    return session.exec(
        select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.step).desc())
    ).first()


def active_coordinators(session: Session) -> list[CoordinatorInfo]:
    open_counts = dict(
        session.exec(
            select(Assignment.coordinator_id, func.count())
            .join(Lead, col(Lead.id) == col(Assignment.lead_id))
            .where(col(Lead.status).in_(OPEN_STATUSES))
            .group_by(Assignment.coordinator_id)
        ).all()
    )
    rows = session.exec(select(Coordinator).where(Coordinator.active == True)).all()  # noqa: E712
    return [
        CoordinatorInfo(
            id=c.id, name=c.name, specialties=tuple(c.specialties), programs=tuple(c.programs),
            languages=tuple(c.languages), on_call=c.on_call, max_open_leads=c.max_open_leads,
            open_leads=open_counts.get(c.id, 0),
        )
        for c in rows
    ]
