"""The console's reads of leads and its own writes (app/ports.py's LeadDesk), on one session."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from shared.auth.policy import LeadScope
from shared.readmodel.dashboard import LeadFact, load_lead_facts
from shared.readmodel.lead_page import AuditRow, LeadPage, load_lead_page, name_actors
from shared.readmodel.lead_scope import load_lead_scope
from shared.readmodel.lead_view import LeadView, load_lead_view
from shared.readmodel.queue import QueueQuery, QueueRow, load_queue
from shared.schema import AuditEvent, Coordinator, Lead, StaffUser


class SqlLeadDesk:
    def __init__(self, session: Session, client_ip: str | None = None) -> None:
        self.session = session
        self.client_ip = client_ip

    def queue(self, query: QueueQuery) -> list[QueueRow]:
        return load_queue(self.session, query)

    def lead_id_of(self, reference: str) -> UUID | None:
        return self.session.exec(select(Lead.id).where(Lead.reference == reference)).first()

    def lead_scope(self, lead_id: UUID) -> LeadScope | None:
        return load_lead_scope(self.session, lead_id)

    def lead_view(self, lead_id: UUID) -> LeadView | None:
        return load_lead_view(self.session, lead_id)

    def lead_page(self, lead_id: UUID) -> LeadPage | None:
        return load_lead_page(self.session, lead_id)

    def coordinators(self) -> list[tuple[UUID, str]]:
        rows = self.session.exec(
            select(Coordinator.id, Coordinator.name).where(Coordinator.active).order_by(col(Coordinator.name))
        ).all()
        return [(i, n) for i, n in rows]

    def add(self, row: object) -> None:
        self.session.add(row)

    def lead_facts(self, since: datetime) -> list[LeadFact]:
        return load_lead_facts(self.session, since)

    def name_actors(self, events: list[AuditEvent]) -> list[AuditRow]:
        return name_actors(self.session, events)

    def actor_for_email(self, email: str) -> str | None:
        user = self.session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower())).first()
        return f"user:{user.id}" if user else None

    def references(self, lead_ids: list[UUID]) -> dict[UUID, str]:
        if not lead_ids:
            return {}
        return dict(
            self.session.exec(select(Lead.id, Lead.reference).where(col(Lead.id).in_(lead_ids))).all()
        )
