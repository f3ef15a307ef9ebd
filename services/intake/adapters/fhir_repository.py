"""Intake's FHIR SQL: the `FhirRepository` (app/fhir_ports.py) on one session."""

from __future__ import annotations

import zlib
from datetime import datetime
from uuid import UUID

from sqlalchemy import or_, text
from sqlmodel import Session, col, select

from shared.readmodel.referral_progress import (
    ReferralProgress,
    leads_with_trail_since,
    load_referral_progress,
)
from shared.schema import FhirAttachment, FhirIdentifier, FhirReferral, FhirResource

from services.intake.domain.fhir.bundle import Identifier
from services.intake.domain.fhir.mapping import Attachment


class SqlFhirRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_identifier(self, organization: str, kind: str, identifier: Identifier) -> bool:
        """Two submissions of one identifier at once: the second waits for no one and is told to
        retry (SQLite serialises writers already)."""
        if self.session.get_bind().dialect.name != "postgresql":
            return True
        key = "\n".join(("fhir", organization, kind, *identifier))
        lock_id = zlib.crc32(key.encode()) - 2**31
        return bool(
            self.session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_id}).scalar()
        )

    def referrals_by_identifiers(
        self, organization: str, keys: list[tuple[str, Identifier]]
    ) -> list[FhirReferral]:
        ids = set()
        for kind, (system, value) in keys:
            row = self.session.get(FhirIdentifier, (organization, kind, system, value))
            if row is not None:
                ids.add(row.referral_id)
        return [self.session.get(FhirReferral, i) for i in sorted(ids)]

    def add_referral(self, referral: FhirReferral) -> None:
        self.session.add(referral)
        self.session.flush()  # resources and identifiers reference it

    def add_resource(self, resource: FhirResource) -> None:
        self.session.add(resource)

    def add_identifier(self, organization: str, kind: str, identifier: Identifier, referral_id: UUID) -> None:
        system, value = identifier
        if self.session.get(FhirIdentifier, (organization, kind, system, value)) is None:
            self.session.add(
                FhirIdentifier(
                    organization=organization, kind=kind, system=system, value=value, referral_id=referral_id
                )
            )

    def add_attachment(self, referral_id: UUID, resource_id: UUID, attachment: Attachment) -> None:
        self.session.add(
            FhirAttachment(
                referral_id=referral_id,
                resource_id=resource_id,
                content_type=attachment.content_type,
                size=len(attachment.data),
                sha256=attachment.sha256,
                data=attachment.data,
            )
        )

    def resources(self, referral_id: UUID) -> list[FhirResource]:
        query = select(FhirResource).where(FhirResource.referral_id == referral_id)
        return sorted(
            self.session.exec(query).all(), key=lambda r: (r.entry_index is None, r.entry_index or 0)
        )

    def service_request(self, resource_id: UUID) -> tuple[FhirResource, FhirReferral] | None:
        resource = self.session.get(FhirResource, resource_id)
        if resource is None or resource.resource_type != "ServiceRequest":
            return None
        return resource, self.session.get(FhirReferral, resource.referral_id)

    def referral_by_task(self, task_id: UUID) -> FhirReferral | None:
        return self.session.exec(select(FhirReferral).where(FhirReferral.task_id == task_id)).first()

    def referrals_for(
        self, organization: str, service_requests: set[UUID] | None, changed_since: datetime | None
    ) -> list[FhirReferral]:
        query = select(FhirReferral).where(FhirReferral.organization == organization)
        if service_requests is not None:
            query = query.where(col(FhirReferral.service_request_id).in_(service_requests or {UUID(int=0)}))
        if changed_since is not None:
            query = query.where(
                or_(
                    col(FhirReferral.created_at) >= changed_since,
                    col(FhirReferral.lead_id).in_(leads_with_trail_since(changed_since)),
                )
            )
        return list(self.session.exec(query.order_by(col(FhirReferral.created_at))).all())

    def progress(self, lead_ids: list[UUID]) -> dict[UUID, ReferralProgress]:
        return load_referral_progress(self.session, lead_ids)
