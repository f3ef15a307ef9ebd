"""The audit trail's queries for the review API and the exports (app/ports.py's AuditStore)."""

from __future__ import annotations

from uuid import UUID

from sqlmodel import Session, col, select

from shared.schema import AuditEvent, BreakGlassGrant

from services.console.domain.review import AuditFilter


def _clauses(where: AuditFilter) -> list:
    out = []
    if where.lead_id is not None:
        out.append(AuditEvent.lead_id == where.lead_id)
    if where.actor:
        out.append(AuditEvent.actor == where.actor)
    if where.since is not None:
        out.append(col(AuditEvent.at) >= where.since)
    if where.until is not None:
        out.append(col(AuditEvent.at) < where.until)
    return out


class SqlAuditStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def newest(self, where: AuditFilter, limit: int, before: int | None) -> list[AuditEvent]:
        query = select(AuditEvent).where(*_clauses(where))
        if before is not None:
            query = query.where(col(AuditEvent.id) < before)
        return list(self.session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all())

    def oldest_after(self, where: AuditFilter, after: int, limit: int) -> list[AuditEvent]:
        return list(
            self.session.exec(
                select(AuditEvent)
                .where(*_clauses(where), col(AuditEvent.id) > after)
                .order_by(col(AuditEvent.id))
                .limit(limit)
            ).all()
        )

    def grant_reasons(self, grant_ids: list[UUID]) -> dict[str, str]:
        if not grant_ids:
            return {}
        grants = self.session.exec(
            select(BreakGlassGrant).where(col(BreakGlassGrant.id).in_(grant_ids))
        ).all()
        return {str(g.id): g.reason for g in grants}

    def record(self, row: AuditEvent) -> None:
        self.session.add(row)
