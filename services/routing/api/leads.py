"""Lead actions for coordinators and supervisors (the rules: app/actions.py), and how a lead was
routed. The caller is resolved first (before the body is read): 401/403 by role, then 404 outside
the caller's scope."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shared.caller import Caller
from shared.clock import utcnow
from shared.http.deps import DbSession, require_caller
from shared.http.json_body import json_model
from shared.schema import Role

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import actions
from services.routing.app.actions import MANAGERS, STAFF
from services.routing.app.history import routing_history
from services.routing.domain.lifecycle import Alternative as AlternativeKind
from services.routing.domain.lifecycle import CannotServeReason, RerouteReason

router = APIRouter(tags=["lead actions"])
Staff = Annotated[Caller, Depends(require_caller(*STAFF, scope="lead"))]
Manager = Annotated[Caller, Depends(require_caller(*MANAGERS, scope="lead"))]
# The routing history holds no PHI: admins read it to check their rules.
HistoryReader = Annotated[Caller, Depends(require_caller(*STAFF, Role.admin, scope="lead"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Alternative(_Strict):
    kind: AlternativeKind
    service: str | None = Field(None, max_length=120)  # e.g. the name of the other service offered


class DeclineIn(_Strict):
    reason: RerouteReason | CannotServeReason
    alternative: Alternative | None = None


class ReassignIn(_Strict):
    coordinator_id: UUID


class ClaimIn(_Strict):
    coordinator_id: UUID | None = None  # supervisors/admins may claim on someone's behalf


class StatusIn(_Strict):
    status: Literal["contacted", "scheduled", "not_eligible", "closed"]
    reason: str | None = Field(None, max_length=64, pattern=r"^[a-z_]+$")
    alternative: Alternative | None = None


def _alternative(body) -> dict | None:
    return body.alternative.model_dump(mode="json", exclude_none=True) if body.alternative else None


@router.post("/v1/leads/{lead_id}/acknowledge")
def acknowledge(lead_id: UUID, caller: Staff, session: DbSession):
    return actions.acknowledge_lead(SqlRoutingRepository(session), caller, lead_id, utcnow())


@router.post("/v1/leads/{lead_id}/claim")
def claim(
    lead_id: UUID,
    caller: Staff,
    body: Annotated[ClaimIn, Depends(json_model(ClaimIn, empty_is_object=True))],
    session: DbSession,
):
    return actions.claim_lead(SqlRoutingRepository(session), caller, lead_id, body.coordinator_id, utcnow())


@router.post("/v1/leads/{lead_id}/decline")
def decline(
    lead_id: UUID,
    caller: Staff,
    body: Annotated[DeclineIn, Depends(json_model(DeclineIn, empty_is_object=True))],
    session: DbSession,
):
    return actions.decline_lead(
        SqlRoutingRepository(session), caller, lead_id, body.reason, _alternative(body), utcnow()
    )


@router.post("/v1/leads/{lead_id}/reassign")
def reassign(
    lead_id: UUID,
    caller: Manager,
    body: Annotated[ReassignIn, Depends(json_model(ReassignIn, empty_is_object=True))],
    session: DbSession,
):
    return actions.reassign_lead(
        SqlRoutingRepository(session), caller, lead_id, body.coordinator_id, utcnow()
    )


@router.post("/v1/leads/{lead_id}/status")
def set_status(
    lead_id: UUID,
    caller: Staff,
    body: Annotated[StatusIn, Depends(json_model(StatusIn, empty_is_object=True))],
    session: DbSession,
):
    return actions.set_lead_status(
        SqlRoutingRepository(session), caller, lead_id, body.status, body.reason, _alternative(body), utcnow()
    )


@router.get("/v1/leads/{lead_id}/routing")
def routing(lead_id: UUID, caller: HistoryReader, session: DbSession):
    """Every decision about this lead, with its rule version and explanation (no PHI)."""
    return routing_history(SqlRoutingRepository(session), caller, lead_id)
