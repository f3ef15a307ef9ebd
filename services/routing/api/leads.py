"""Lead actions for coordinators and supervisors: acknowledge, claim, decline (with a reason
code), reassign, move the status on, and read how the lead was routed.

A coordinator key acts as the coordinator it is bound to and may act on leads assigned to them
(or sent to them by the escalation ladder); supervisor and admin keys may act on any lead.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.http import parse_model, read_json_body
from shared.models import Assignment, Escalation, ReviewerCopy, SlaDeadline

from services.routing.adapters import operations as ops
from services.routing.adapters import repository as repo
from services.routing.api.auth import MANAGERS, STAFF, Actor, require

router = APIRouter(tags=["lead actions"])
RerouteReason = Literal[ops.REROUTE_REASONS]  # type: ignore[valid-type]
CannotServeReason = Literal[ops.CANNOT_SERVE_REASONS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Alternative(_Strict):
    kind: Literal[ops.ALTERNATIVES]  # type: ignore[valid-type]
    service: str | None = Field(None, max_length=120)  # e.g. the name of the other service offered


class DeclineIn(_Strict):
    reason: RerouteReason | CannotServeReason  # type: ignore[valid-type]
    alternative: Alternative | None = None


class ReassignIn(_Strict):
    coordinator_id: UUID


class ClaimIn(_Strict):
    coordinator_id: UUID | None = None  # supervisors/admins may claim on someone's behalf


class StatusIn(_Strict):
    status: Literal["contacted", "scheduled", "not_eligible", "closed"]
    reason: str | None = Field(None, max_length=64, pattern=r"^[a-z_]+$")
    alternative: Alternative | None = None


async def _body(request: Request, model):
    raw = await request.body()
    data = await read_json_body(request) if raw.strip() else {}
    return parse_model(model, data)


def _refused(exc: ops.ActionRefused) -> DomainError:
    return DomainError(exc.code, exc.status, exc.message)


def _allowed(session, actor: Actor, lead) -> None:
    if actor.role in MANAGERS:
        return
    if actor.coordinator_id is None:
        raise DomainError("forbidden", 403, "This key is not bound to a coordinator")
    involved = {lead.coordinator_id} | repo.escalation_recipients(session, lead.id)
    if actor.coordinator_id not in involved:
        raise DomainError("not_found", 404, "No such lead")  # outside their scope: as if absent


def _act(request: Request, lead_id: UUID, roles: set[str], action) -> dict:
    actor = require(request, roles)
    now = utcnow()
    with unit_of_work() as session:
        lead = repo.lock_lead(session, lead_id)
        if lead is None:
            raise DomainError("not_found", 404, "No such lead")
        try:
            status = action(session, actor, lead, now)
        except ops.ActionRefused as exc:
            raise _refused(exc) from None
        return {"lead_id": str(lead.id), "status": status, "coordinator_id": str(lead.coordinator_id)
                if lead.coordinator_id else None}


@router.post("/v1/leads/{lead_id}/acknowledge")
def acknowledge(lead_id: UUID, request: Request):
    def action(session, actor, lead, now):
        _allowed(session, actor, lead)
        return ops.acknowledge(session, lead, actor.coordinator_id if actor.role == "coordinator" else None,
                               actor.label, now)
    return _act(request, lead_id, STAFF, action)


@router.post("/v1/leads/{lead_id}/claim")
async def claim(lead_id: UUID, request: Request):
    body = await _body(request, ClaimIn)

    def action(session, actor, lead, now):
        who = body.coordinator_id if actor.role in MANAGERS and body.coordinator_id else actor.coordinator_id
        if who is None:
            raise DomainError("coordinator_required", 422, "Say who claims it (coordinator_id)")
        if actor.role == "coordinator" and lead.status != "waiting":
            _allowed(session, actor, lead)
        return ops.claim(session, lead, who, actor.label, now)
    return _act(request, lead_id, STAFF, action)


@router.post("/v1/leads/{lead_id}/decline")
async def decline(lead_id: UUID, request: Request):
    body = await _body(request, DeclineIn)

    def action(session, actor, lead, now):
        _allowed(session, actor, lead)
        alternative = body.alternative.model_dump(exclude_none=True) if body.alternative else None
        return ops.decline(session, lead, actor.coordinator_id if actor.role == "coordinator" else None,
                           body.reason, alternative, actor.label, now)
    return _act(request, lead_id, STAFF, action)


@router.post("/v1/leads/{lead_id}/reassign")
async def reassign(lead_id: UUID, request: Request):
    body = await _body(request, ReassignIn)
    return _act(request, lead_id, MANAGERS,
                lambda session, actor, lead, now: ops.reassign(session, lead, body.coordinator_id, actor.label, now))


@router.post("/v1/leads/{lead_id}/status")
async def set_status(lead_id: UUID, request: Request):
    body = await _body(request, StatusIn)

    def action(session, actor, lead, now):
        _allowed(session, actor, lead)
        alternative = body.alternative.model_dump(exclude_none=True) if body.alternative else None
        return ops.set_status(session, lead, body.status, body.reason, alternative, actor.label, now)
    return _act(request, lead_id, STAFF, action)


@router.get("/v1/leads/{lead_id}/routing")
def routing_history(lead_id: UUID, request: Request):
    """Every decision about this lead, with its rule version and explanation (no PHI)."""
    actor = require(request, STAFF)
    with unit_of_work() as session:
        lead = repo.lock_lead(session, lead_id)
        if lead is None:
            raise DomainError("not_found", 404, "No such lead")
        _allowed(session, actor, lead)
        assignments = session.exec(select(Assignment).where(Assignment.lead_id == lead_id)
                                   .order_by(col(Assignment.step))).all()
        escalations = session.exec(select(Escalation).where(Escalation.lead_id == lead_id)
                                   .order_by(col(Escalation.created_at))).all()
        deadlines = session.exec(select(SlaDeadline).where(SlaDeadline.lead_id == lead_id)
                                 .order_by(col(SlaDeadline.due_at))).all()
        reviewers = session.exec(select(ReviewerCopy).where(ReviewerCopy.lead_id == lead_id)).all()
        return {
            "lead_id": str(lead.id), "status": lead.status, "urgency": lead.urgency,
            "coordinator_id": str(lead.coordinator_id) if lead.coordinator_id else None,
            "waiting": {"until": lead.route_after, "reason": lead.waiting_reason} if lead.status == "waiting" else None,
            "repeat_of": str(lead.repeat_of_id) if lead.repeat_of_id else None,
            "outcome": {"reason": lead.outcome_reason, "alternative": lead.alternative} if lead.outcome_reason else None,
            "assignments": [{"step": a.step, "kind": a.kind, "coordinator_id": str(a.coordinator_id),
                             "rule": a.rule_name, "rule_version": a.rule_version, "reason": a.reason,
                             "explanation": a.explanation, "at": a.created_at} for a in assignments],
            "escalations": [{"step": e.step, "kind": e.kind, "role": e.role, "coordinator_id": str(e.coordinator_id),
                             "cause": e.cause, "at": e.created_at} for e in escalations],
            "deadlines": [{"kind": d.kind, "step": d.step, "due_at": d.due_at, "status": d.status} for d in deadlines],
            "reviewers": [{"coordinator_id": str(r.coordinator_id), "flags": r.flags} for r in reviewers],
        }
