"""Referral form attachments: stored with the lead in the request's transaction, once per file
(a resubmission of the same form — its idempotent replay or a duplicate — adds nothing), and
listed on the referrer's status page."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from services.intake.domain.pdf import CheckedPdf


class AttachmentStore(Protocol):
    def hashes(self, lead_id: UUID) -> set[str]: ...
    def add(self, lead_id: UUID, filename: str | None, pdf: CheckedPdf) -> None: ...


def attach_pdfs(store: AttachmentStore, lead_id: UUID, files: list[tuple[str | None, CheckedPdf]]) -> int:
    seen = store.hashes(lead_id)
    added = 0
    for filename, pdf in files:
        if pdf.sha256 in seen:
            continue
        store.add(lead_id, filename, pdf)
        seen.add(pdf.sha256)
        added += 1
    return added
