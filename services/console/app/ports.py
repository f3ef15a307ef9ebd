"""What the console's use cases need from storage (adapters/ implements it)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from shared.schema import AuditEvent

from services.console.domain.review import AuditFilter


class AuditStore(Protocol):
    def newest(self, where: AuditFilter, limit: int, before: int | None) -> list[AuditEvent]: ...
    def oldest_after(self, where: AuditFilter, after: int, limit: int) -> list[AuditEvent]: ...
    def grant_reasons(self, grant_ids: list[UUID]) -> dict[str, str]: ...
    def record(self, row: AuditEvent) -> None: ...
