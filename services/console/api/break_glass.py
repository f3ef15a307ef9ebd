"""POST /v1/leads/{id}/break-glass: an admin's emergency read of one lead (app/break_glass.py)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.caller import Caller
from shared.clock import utcnow
from shared.http.deps import DbSession, client_ip, require_caller
from shared.http.json_body import json_model
from shared.schema import Role

from services.console.app.break_glass import break_glass

router = APIRouter(tags=["access"])
Admin = Annotated[Caller, Depends(require_caller(Role.admin))]


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=500)  # why, in words (no patient details): shown to supervisors


@router.post("/v1/leads/{lead_id}/break-glass", status_code=201)
def post_break_glass(
    lead_id: UUID,
    request: Request,
    caller: Admin,
    body: Annotated[BreakGlassIn, Depends(json_model(BreakGlassIn))],
    session: DbSession,
):
    """Grants this admin PHI reads of this lead for CAREROUTE_BREAK_GLASS_SECONDS; audited, and a
    supervisor is alerted."""
    return break_glass(session, caller, lead_id, body.reason, client_ip(request), utcnow())
