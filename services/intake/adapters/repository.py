"""SQL behind the intake domain's IntakeRepository, and the lead read model."""

from __future__ import annotations

import zlib
from uuid import UUID

from sqlalchemy import text
from sqlmodel import Session, col, select

from shared.apikeys import Principal
from shared.events import Event
from shared.models import (
    Assignment, AuditEvent, Classification, Coordinator, IdempotencyRecord, Lead, LeadContact,
    LeadStatus, Notification,
)
from shared.outbox import add_event

from services.intake.domain.intake import Inquiry


class SqlIntakeRepository:
    def __init__(self, session: Session, client_ip: str | None = None) -> None:
        self.session = session
        self.client_ip = client_ip

    def try_lock_idempotency(self, scope: str, key: str) -> bool:
        if self.session.get_bind().dialect.name != "postgresql":
            return True  # SQLite serialises writers (BEGIN IMMEDIATE): no concurrent duplicate
        lock_id = zlib.crc32(f"{scope}\n{key}".encode()) - 2**31
        return bool(
            self.session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_id}).scalar()
        )

    def find_idempotency(self, scope: str, key: str) -> tuple[str, dict] | None:
        row = self.session.get(IdempotencyRecord, (scope, key))
        return (row.request_hash, row.response) if row else None

    def save_idempotency(self, scope, key, request_hash, lead_id, response) -> None:
        self.session.add(
            IdempotencyRecord(scope=scope, key=key, request_hash=request_hash, lead_id=lead_id,
                              response=response)
        )

    def create_lead(self, inquiry: Inquiry, reference: str, risk_flag: bool, principal: Principal) -> UUID:
        lead = Lead(
            reference=reference,
            channel=inquiry.channel,
            status=LeadStatus.received.value,
            risk_flag=risk_flag,
            language=inquiry.language,
            organization=inquiry.organization,
            submitted_by_key_id=principal.key_id,
        )
        self.session.add(lead)
        self.session.flush()  # the rows below reference it (no ORM relationships to order them)
        self.session.add(
            LeadContact(
                lead_id=lead.id,
                name=inquiry.name,
                phone=inquiry.phone,
                email=inquiry.email,
                message=inquiry.message,
                date_of_birth=inquiry.date_of_birth,
                preferred_contact_method=inquiry.preferred_contact_method,
                preferred_contact_time=inquiry.preferred_contact_time,
                how_heard=inquiry.how_heard,
                details=inquiry.details,
            )
        )
        return lead.id

    def add_event(self, event: Event) -> None:
        add_event(self.session, event)

    def audit(self, principal: Principal, action: str, lead_id: UUID | None, detail: dict) -> None:
        self.session.add(
            AuditEvent(actor=principal.actor, action=action, lead_id=lead_id, client_ip=self.client_ip,
                       detail=detail)
        )


def load_lead_view(session: Session, lead_id: UUID):
    """Everything GET /v1/leads/{id} shows, or None."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return None
    classification = session.exec(
        select(Classification).where(Classification.lead_id == lead_id)
    ).first()
    assignment_row = session.exec(
        select(Assignment, Coordinator)
        .join(Coordinator, col(Coordinator.id) == col(Assignment.coordinator_id))
        .where(Assignment.lead_id == lead_id)
        .order_by(col(Assignment.step).desc())
    ).first()
    notifications = session.exec(
        select(Notification).where(Notification.lead_id == lead_id).order_by(col(Notification.created_at))
    ).all()
    contact = session.get(LeadContact, lead_id)
    return lead, classification, assignment_row, list(notifications), contact
