"""Admin API for the directory, the rules and the on-call schedule (admin key; supervisors read).

PUT bodies take the same document as the YAML files, as application/json or application/yaml;
validation errors are problem+json naming each field. The use cases: app/directory.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import DomainError, FieldProblem, validation_error
from shared.http.deps import DbSession, require_caller
from shared.http.json_body import json_model, read_json_body
from shared.schema import Coordinator, Role

from services.routing.adapters.directory_store import SqlDirectoryStore
from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import directory
from services.routing.app.coverage import on_call_now
from services.routing.domain.documents import (
    CoordinatorDoc,
    DirectoryDoc,
    DocumentInvalid,
    load_yaml,
    validate,
)
from services.routing.domain.rules import Ruleset

router = APIRouter(tags=["routing admin"])
Admin = Annotated[Caller, Depends(require_caller(Role.admin))]
Manager = Annotated[Caller, Depends(require_caller(Role.supervisor, Role.admin))]


def _invalid(exc: DocumentInvalid) -> DomainError:
    return validation_error([FieldProblem(p.field or "body", "invalid", p.message) for p in exc.problems])


def document_body(model):
    """A dependency: the body as `model`, from YAML (line-numbered errors) or strict JSON."""

    async def dependency(request: Request):
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

    return dependency


def _yaml_response(document: dict) -> Response:
    return Response(
        yaml.safe_dump(document, sort_keys=False, default_flow_style=None), media_type="application/yaml"
    )


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
def list_coordinators(_caller: Manager, session: DbSession):
    return [_out(c) for c in directory.list_coordinators(SqlDirectoryStore(session))]


@router.post("/v1/coordinators", status_code=201)
def create_coordinator(
    caller: Admin,
    entry: Annotated[CoordinatorDoc, Depends(document_body(CoordinatorDoc))],
    session: DbSession,
):
    return _out(directory.create_coordinator(SqlDirectoryStore(session), caller, entry))


@router.get("/v1/coordinators/{coordinator_id}")
def get_coordinator(coordinator_id: UUID, _caller: Manager, session: DbSession):
    return _out(directory.get_coordinator(SqlDirectoryStore(session), coordinator_id))


@router.patch("/v1/coordinators/{coordinator_id}")
def patch_coordinator(
    coordinator_id: UUID,
    caller: Manager,
    patch: Annotated[CoordinatorPatch, Depends(json_model(CoordinatorPatch))],
    session: DbSession,
):
    changes = patch.model_dump(exclude_unset=True)
    return _out(directory.update_coordinator(SqlDirectoryStore(session), caller, coordinator_id, changes))


@router.delete("/v1/coordinators/{coordinator_id}")
def deactivate_coordinator(coordinator_id: UUID, caller: Admin, session: DbSession):
    """Deactivates (assignments keep pointing at the row); their open leads stay until reassigned."""
    return _out(directory.deactivate_coordinator(SqlDirectoryStore(session), caller, coordinator_id))


@router.post("/v1/coordinators/{coordinator_id}/keys", status_code=201)
def create_coordinator_key(
    coordinator_id: UUID,
    caller: Admin,
    body: Annotated[KeyIn, Depends(json_model(KeyIn))],
    session: DbSession,
):
    """A coordinator or supervisor key that acts as this coordinator (shown once)."""
    plaintext = directory.create_key(SqlDirectoryStore(session), caller, coordinator_id, Role(body.role))
    return {"key": plaintext, "role": body.role, "coordinator_id": str(coordinator_id)}


@router.get("/v1/directory")
def get_directory(request: Request, _caller: Manager, session: DbSession):
    document = directory.export_directory(SqlDirectoryStore(session))
    return _yaml_response(document) if _wants_yaml(request) else document


@router.put("/v1/directory")
def put_directory(
    caller: Admin,
    doc: Annotated[DirectoryDoc, Depends(document_body(DirectoryDoc))],
    session: DbSession,
    deactivate_missing: bool = False,
):
    return directory.import_directory(SqlDirectoryStore(session), caller.actor, doc, deactivate_missing)


@router.get("/v1/routing/rules")
def get_rules(request: Request, _caller: Manager, session: DbSession):
    document = directory.export_rules(SqlDirectoryStore(session))
    return _yaml_response(document) if _wants_yaml(request) else document


@router.put("/v1/routing/rules")
def put_rules(
    caller: Admin, ruleset: Annotated[Ruleset, Depends(document_body(Ruleset))], session: DbSession
):
    stored = directory.import_rules(SqlDirectoryStore(session), caller.actor, ruleset)
    return {
        "version": stored.version,
        "rules": [{"name": r.name, "version": r.version} for r in stored.rules],
    }


@router.get("/v1/oncall")
def get_on_call(_caller: Manager, session: DbSession, days: int = 14) -> Any:
    """Who is on call now, and any gap in the next `days` days."""
    current, gaps = on_call_now(SqlRoutingRepository(session), utcnow(), max(1, min(days, 90)))
    return {
        "now": [
            {"coordinator_id": str(o.person.id), "name": o.person.name, "source": o.source} for o in current
        ],
        "gaps": [{"start": g.start.isoformat(), "end": g.end.isoformat()} for g in gaps],
        "covered": not gaps,
    }
