"""Intake's SQL: the `IntakeRepository` (app/ports.py) on one session."""

from __future__ import annotations

import zlib
from datetime import datetime
from uuid import UUID

from sqlalchemy import text
from sqlmodel import Session, col, select

from shared.auth.grants import live_grant
from shared.auth.policy import LeadScope
from shared.caller import Caller, CallerKind
from shared.events import Event
from shared.outbox import add_event
from shared.readmodel.lead_scope import load_lead_scope
from shared.readmodel.lead_view import LeadView, load_lead_view
from shared.schema import AuditEvent, Consent, IdempotencyRecord, Lead, LeadContact

from services.intake.domain.intake import ConsentGiven, FirstSubmission, Inquiry


class SqlIntakeRepository:
    def __init__(self, session: Session, client_ip: str | None = None) -> None:
        self.session = session
        self.client_ip = client_ip

    def lock_duplicates(self, dedupe_hash: str) -> None:
        """Serialise identical submissions (PostgreSQL; SQLite serialises every writer already)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        lock_id = zlib.crc32(f"dedupe\n{dedupe_hash}".encode()) - 2**31
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id})

    def find_recent_duplicate(self, dedupe_hash: str, since: datetime) -> FirstSubmission | None:
        lead = self.session.exec(
            select(Lead)
            .where(Lead.dedupe_hash == dedupe_hash, col(Lead.created_at) >= since)
            .order_by(col(Lead.created_at))
        ).first()
        if lead is None:
            return None
        return FirstSubmission(lead.id, lead.reference, lead.risk_flag, lead.language)

    def add_consent(self, lead_id: UUID, channel: str, consent: ConsentGiven) -> None:
        self.session.add(
            Consent(
                lead_id=lead_id,
                wording_version=consent.version,
                wording_language=consent.language,
                wording_sha256=consent.sha256,
                channel=channel,
                heard_by=consent.heard_by,
            )
        )

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

    def save_idempotency(
        self, scope: str, key: str, request_hash: str, lead_id: UUID, response: dict
    ) -> None:
        self.session.add(
            IdempotencyRecord(
                scope=scope, key=key, request_hash=request_hash, lead_id=lead_id, response=response
            )
        )

    def create_lead(
        self,
        inquiry: Inquiry,
        reference: str,
        risk_flag: bool,
        caller: Caller,
        contact_keys: tuple[str | None, str | None],
        region: str | None,
    ) -> UUID:
        lead = Lead(
            reference=reference,
            channel=inquiry.channel,
            risk_flag=risk_flag,
            language=inquiry.language,
            organization=inquiry.organization,
            submitted_by_key_id=caller.id if caller.kind == CallerKind.api_key else None,
            submitted_by_user_id=caller.id if caller.kind == CallerKind.session else None,
            phone_hash=contact_keys[0],
            email_hash=contact_keys[1],
            region=region,
            spam_reason=inquiry.spam_reason,
            dedupe_hash=inquiry.dedupe_hash,
            canary=inquiry.canary,
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

    def audit(self, caller: Caller, action: str, lead_id: UUID | None, detail: dict) -> None:
        self.session.add(
            AuditEvent(
                actor=caller.actor, action=action, lead_id=lead_id, client_ip=self.client_ip, detail=detail
            )
        )

    def lead_view(self, lead_id: UUID) -> LeadView | None:
        return load_lead_view(self.session, lead_id)

    def lead_scope(self, lead_id: UUID) -> LeadScope | None:
        return load_lead_scope(self.session, lead_id)

    def has_live_grant(self, caller: Caller, lead_id: UUID, now: datetime) -> bool:
        return live_grant(self.session, caller, lead_id, now) is not None
