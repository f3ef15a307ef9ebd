"""GET /v1/audit (a page, newest first) and GET /v1/audit/export (JSON Lines or CSV): supervisors
review who read or changed which lead. Rules: app/audit.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from shared.caller import Caller
from shared.db import new_session
from shared.http.deps import DbSession, client_ip, require_caller
from shared.schema import AuditEvent, Role

from services.console.adapters.audit_store import SqlAuditStore
from services.console.app import audit
from services.console.domain.review import AuditFilter

router = APIRouter(tags=["access"])
Reviewer = Annotated[Caller, Depends(require_caller(Role.supervisor))]


def _filter(
    lead_id: UUID | None = None,
    actor: str | None = Query(None, max_length=80),
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilter:
    return AuditFilter(lead_id=lead_id, actor=actor, since=since, until=until)


Filter = Annotated[AuditFilter, Depends(_filter)]


@router.get("/v1/audit")
def get_audit(
    request: Request,
    _caller: Reviewer,
    where: Filter,
    session: DbSession,
    limit: int = Query(100, ge=1, le=1000),
    before: int | None = Query(None, ge=1),
):
    items, cursor = audit.page(SqlAuditStore(session), where, limit, before)
    next_url = None
    if cursor is not None:
        next_url = str(request.url.include_query_params(before=cursor))
    return {"items": items, "next": next_url}


@router.get("/v1/audit/export")
def export_audit(
    request: Request,
    caller: Reviewer,
    where: Filter,
    session: DbSession,
    format: Literal["jsonl", "csv"] = "jsonl",
):
    session.add(
        AuditEvent(
            actor=caller.actor,
            action="audit.export",
            client_ip=client_ip(request),
            detail={"format": format, "lead_id": str(where.lead_id) if where.lead_id else None},
        )
    )

    def rows():
        reader = new_session()  # the request's session closes when the handler returns
        try:
            entries = audit.export(SqlAuditStore(reader), where)
            yield from audit.as_csv(entries) if format == "csv" else audit.as_jsonl(entries)
        finally:
            reader.close()

    media = "text/csv" if format == "csv" else "application/x-ndjson"
    filename = f"careroute-audit.{format}"
    return StreamingResponse(
        rows(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
