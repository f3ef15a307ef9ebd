"""Admin API for the directory, the rules and the on-call schedule (admin key; supervisors read).

PUT bodies take the same document as the YAML files, as application/json or application/yaml;
validation errors are problem+json naming each field.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from shared.apikeys import create_api_key
from shared.clock import utcnow
from shared.db import unit_of_work
from shared.errors import DomainError, FieldProblem, validation_error
from shared.http import parse_model, read_json_body
from shared.models import AuditEvent, Coordinator, CoordinatorKey, Role

from services.routing.adapters import repository as repo
from services.routing.adapters.directory_store import export_directory, export_ruleset, import_directory, store_ruleset
from services.routing.api.auth import ADMIN, MANAGERS, require
from services.routing.domain.documents import (
    CoordinatorDoc, DirectoryDoc, DocumentInvalid, load_yaml, validate,
)
from services.routing.domain.oncall import coverage_gaps, on_call_at
from services.routing.domain.rules import Ruleset

router = APIRouter(tags=["routing admin"])


def _invalid(exc: DocumentInvalid) -> DomainError:
    return validation_error([FieldProblem(p.field or "body", "invalid", p.message) for p in exc.problems])


async def _document(request: Request, model):
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
        raw = await request.body()
        try:
            data, lines = load_yaml(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise DomainError("malformed_yaml", 400, "The body is not valid UTF-8") from None
        except DocumentInvalid as exc:
            raise _invalid(exc) from None
    else:
        data, lines = await read_json_body(request), {}
    try:
        return validate(model, data, lines)
    except DocumentInvalid as exc:
        raise _invalid(exc) from None


def _yaml_response(document: dict) -> Response:
    return Response(yaml.safe_dump(document, sort_keys=False, default_flow_style=None),
                    media_type="application/yaml")


def _wants_yaml(request: Request) -> bool:
    return "yaml" in request.headers.get("accept", "")


class CoordinatorOut(BaseModel):
    id: UUID
    name: str
    email: str
    role: str
    specialties: list[str]
    programs: list[str]
    languages: list[str]
    regions: list[str]
    timezone: str
    working_hours: dict
    holidays: list
    out_of_office: list
    max_open_leads: int
    max_new_per_day: int | None
    weight: float
    active: bool
    paused: bool
    on_call: bool
    supervisor_id: UUID | None
    backup_id: UUID | None


def _out(c: Coordinator) -> dict:
    return CoordinatorOut.model_validate(c, from_attributes=True).model_dump(mode="json")


class CoordinatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool | None = None
    paused: bool | None = None  # unpause after two timeouts in a row
    max_open_leads: int | None = Field(None, ge=0, le=500)
    max_new_per_day: int | None = Field(None, ge=0, le=500)
    weight: float | None = Field(None, gt=0, le=10)
    out_of_office: list[dict] | None = None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["coordinator", "supervisor"] = "coordinator"


@router.get("/v1/coordinators")
def list_coordinators(request: Request):
    require(request, MANAGERS)
    with unit_of_work() as session:
        return [_out(c) for c in session.exec(select(Coordinator).order_by(Coordinator.name)).all()]


@router.post("/v1/coordinators", status_code=201)
async def create_coordinator(request: Request):
    actor = require(request, ADMIN)
    entry = await _document(request, CoordinatorDoc)
    with unit_of_work() as session:
        existing = {c.email.lower() for c in session.exec(select(Coordinator)).all()}
        if entry.email.lower() in existing:
            raise DomainError("conflict", 409, "A coordinator with this email exists",
                              detail="Use PATCH /v1/coordinators/{id} or PUT /v1/directory.")
        for label in ("supervisor", "backup"):
            ref = getattr(entry, label)
            if ref and ref.lower() not in existing:
                raise validation_error([FieldProblem(label, "unknown", "Not a coordinator in the directory.")])
        import_directory(session, DirectoryDoc.model_construct(timezone=entry.timezone or "America/Los_Angeles",
                                                               coordinators=[entry]),
                         actor=actor.label, replace_schedule=False)
        row = session.exec(select(Coordinator).where(Coordinator.email == entry.email.lower())).one()
        return _out(row)


def _get(session, coordinator_id: UUID) -> Coordinator:
    row = session.get(Coordinator, coordinator_id)
    if row is None:
        raise DomainError("not_found", 404, "No such coordinator")
    return row


@router.get("/v1/coordinators/{coordinator_id}")
def get_coordinator(coordinator_id: UUID, request: Request):
    require(request, MANAGERS)
    with unit_of_work() as session:
        return _out(_get(session, coordinator_id))


@router.patch("/v1/coordinators/{coordinator_id}")
async def patch_coordinator(coordinator_id: UUID, request: Request):
    actor = require(request, ADMIN | {"supervisor"})
    patch = parse_model(CoordinatorPatch, await read_json_body(request))
    changes = patch.model_dump(exclude_unset=True)
    if actor.role == "supervisor" and set(changes) - {"paused", "out_of_office"}:
        raise DomainError("forbidden", 403, "Supervisors may only unpause and set out of office")
    with unit_of_work() as session:
        row = _get(session, coordinator_id)
        if "out_of_office" in changes:
            windows = []
            for i, w in enumerate(changes["out_of_office"]):
                try:
                    start, end = datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])
                    assert start.tzinfo and end.tzinfo and end > start
                except (KeyError, TypeError, ValueError, AssertionError):
                    raise validation_error([FieldProblem(f"out_of_office.{i}", "invalid",
                                                         "Give start and end as ISO date-times with offsets, end after start.")]) from None
                windows.append({"start": start.isoformat(), "end": end.isoformat(), "reason": str(w.get("reason", ""))[:120]})
            changes["out_of_office"] = windows
        for key, value in changes.items():
            setattr(row, key, value)
        if changes.get("paused") is False:
            row.consecutive_timeouts = 0
        session.add(row)
        session.add(AuditEvent(actor=actor.label, action="coordinator.update",
                               detail={"coordinator_id": str(row.id), "fields": sorted(changes)}))
        return _out(row)


@router.delete("/v1/coordinators/{coordinator_id}")
def deactivate_coordinator(coordinator_id: UUID, request: Request):
    """Deactivates (assignments keep pointing at the row); their open leads stay until reassigned."""
    actor = require(request, ADMIN)
    with unit_of_work() as session:
        row = _get(session, coordinator_id)
        row.active = False
        session.add(row)
        session.add(AuditEvent(actor=actor.label, action="coordinator.deactivate", detail={"coordinator_id": str(row.id)}))
        return _out(row)


@router.post("/v1/coordinators/{coordinator_id}/keys", status_code=201)
async def create_coordinator_key(coordinator_id: UUID, request: Request):
    """A coordinator or supervisor key that acts as this coordinator (shown once)."""
    actor = require(request, ADMIN)
    body = parse_model(KeyIn, await read_json_body(request))
    with unit_of_work() as session:
        row = _get(session, coordinator_id)
        key, plaintext = create_api_key(session, Role(body.role), name=f"{row.email}")
        session.flush()
        session.add(CoordinatorKey(api_key_id=key.id, coordinator_id=row.id))
        session.add(AuditEvent(actor=actor.label, action="apikey.create",
                               detail={"coordinator_id": str(row.id), "role": body.role}))
    return {"key": plaintext, "role": body.role, "coordinator_id": str(coordinator_id)}


@router.get("/v1/directory")
def get_directory(request: Request):
    require(request, MANAGERS)
    with unit_of_work() as session:
        document = export_directory(session)
    return _yaml_response(document) if _wants_yaml(request) else document


@router.put("/v1/directory")
async def put_directory(request: Request, deactivate_missing: bool = False):
    actor = require(request, ADMIN)
    doc = await _document(request, DirectoryDoc)
    with unit_of_work() as session:
        return import_directory(session, doc, actor=actor.label, deactivate_missing=deactivate_missing)


@router.get("/v1/routing/rules")
def get_rules(request: Request):
    require(request, MANAGERS)
    with unit_of_work() as session:
        document = export_ruleset(session)
    return _yaml_response(document) if _wants_yaml(request) else document


@router.put("/v1/routing/rules")
async def put_rules(request: Request):
    actor = require(request, ADMIN)
    ruleset = await _document(request, Ruleset)
    with unit_of_work() as session:
        stored = store_ruleset(session, ruleset, actor=actor.label)
    return {"version": stored.version, "rules": [{"name": r.name, "version": r.version} for r in stored.rules]}


@router.get("/v1/oncall")
def get_on_call(request: Request, days: int = 14) -> Any:
    """Who is on call now, and any gap in the next `days` days."""
    require(request, MANAGERS)
    days = max(1, min(days, 90))
    now = utcnow()
    with unit_of_work() as session:
        people = {p.id: p for p in repo.directory(session, now)}
        schedule = repo.schedule(session)
    current = on_call_at(schedule, people, now)
    gaps = coverage_gaps(schedule, people, now, timedelta(days=days))
    return {
        "now": [{"coordinator_id": str(o.person.id), "name": o.person.name, "source": o.source} for o in current],
        "gaps": [{"start": g.start.isoformat(), "end": g.end.isoformat()} for g in gaps],
        "covered": not gaps,
    }
