"""Referral form attachments in `referral_attachment` (encrypted at rest by its column types)."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import Session, select

from shared.schema import Lead, ReferralAttachment

from services.intake.domain.pdf import CheckedPdf


class SqlAttachmentStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lead_id_by_reference(self, reference: str) -> UUID | None:
        return self.session.exec(select(Lead.id).where(Lead.reference == reference)).first()

    def hashes(self, lead_id: UUID) -> set[str]:
        rows = self.session.exec(
            select(ReferralAttachment.sha256).where(ReferralAttachment.lead_id == lead_id)
        )
        return set(rows.all())

    def add(self, lead_id: UUID, filename: str | None, pdf: CheckedPdf) -> None:
        self.session.add(
            ReferralAttachment(
                lead_id=lead_id,
                filename=filename,
                content_type="application/pdf",
                size=pdf.size,
                pages=pdf.pages,
                sha256=pdf.sha256,
                data=pdf.data,
            )
        )

    def listed(self, lead_id: UUID) -> list[tuple[str | None, int, int]]:
        """(file name, bytes, pages) of each attachment, oldest first; the files stay put."""
        rows = self.session.exec(
            select(ReferralAttachment.filename, ReferralAttachment.size, ReferralAttachment.pages)
            .where(ReferralAttachment.lead_id == lead_id)
            .order_by(ReferralAttachment.created_at)
        )
        return [tuple(r) for r in rows.all()]
