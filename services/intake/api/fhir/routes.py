"""FHIR R4 routes under /fhir/r4: metadata, referrals in (a transaction Bundle, or a
ServiceRequest with contained resources), ServiceRequest and Task reads, Task search.

Callers are providers: an API key (organization from the key) or a SMART access token, which
also needs the scope each route names; the console's session cookie does not open these routes
(system to system: `sessions=False`). Each route declares its policy in its `Depends`: the
`Submitter`, `RequestReader`, `TaskReader`, `TaskSearcher` callers below (reads scoped to the
caller's organization by shared/auth/policy.py, 404 outside), or `public(...)` for metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from shared.caller import Caller
from shared.clock import utcnow
from shared.http.deps import DbSession, client_ip, public, request_id, require_caller
from shared.schema import Role
from shared.smart import FHIR_BASE_PATH, fhir_base_url, token_url

from services.intake.adapters.fhir_repository import SqlFhirRepository
from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.api.fhir.negotiation import Body, Negotiated, fhir_response
from services.intake.app.fhir_read import read_service_request, read_task, search_tasks
from services.intake.app.fhir_receive import FhirReceipt, receive_fhir_referral
from services.intake.domain.fhir.bundle import fingerprint, read_transaction
from services.intake.domain.fhir.bundle import read_service_request as parse_service_request
from services.intake.domain.fhir.capability import capability_statement
from services.intake.domain.fhir.outcome import Issue, fhir_error
from services.intake.domain.fhir.render import service_request_resource, transaction_response, version_headers
from services.intake.domain.fhir.search import parse_task_query

router = APIRouter(prefix=FHIR_BASE_PATH, tags=["fhir"])


def _provider(token_scope: str):
    """A provider key or SMART token holding `token_scope`, bound to an organization: referrals
    are made for it, and reads see its referrals only."""
    return require_caller(Role.provider, scope="organization", token_scope=token_scope, sessions=False)


Submitter = Annotated[Caller, Depends(_provider("ServiceRequest.c"))]
RequestReader = Annotated[Caller, Depends(_provider("ServiceRequest.r"))]
TaskReader = Annotated[Caller, Depends(_provider("Task.r"))]
TaskSearcher = Annotated[Caller, Depends(_provider("Task.s"))]
RELEASED = "2026-11-20"
SOFTWARE_VERSION = "0.1.0"


def _uuid(value: str, kind: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise fhir_error(404, [Issue("not-found", None, f"No such {kind}.")], f"No such {kind}") from None


def _receive(request: Request, session, caller: Caller, submission, data) -> FhirReceipt:
    return receive_fhir_referral(
        SqlFhirRepository(session),
        SqlIntakeRepository(session, client_ip(request)),
        submission,
        caller,
        body_hash=fingerprint(data),
        correlation_id=request_id(request),
        now=utcnow(),
    )


@router.get(
    "/metadata", dependencies=[Depends(public("the FHIR CapabilityStatement, read before signing in"))]
)
def metadata(media: Negotiated) -> Response:
    """Public: the CapabilityStatement (FHIR clients read it before they authenticate)."""
    body = capability_statement(fhir_base_url(), token_url(), SOFTWARE_VERSION, RELEASED)
    return fhir_response(body, media)


@router.post("")
def post_transaction(request: Request, caller: Submitter, media: Negotiated, body: Body, session: DbSession):
    """A transaction Bundle: 200 with a transaction-response (201 per entry; 200 on a replay)."""
    submission = read_transaction(body.data)
    receipt = _receive(request, session, caller, submission, body.data)
    answer = transaction_response(
        receipt.created,
        replayed=receipt.replayed,
        created_at=receipt.referral.created_at,
        task_id=receipt.referral.task_id,
        service_request_id=receipt.referral.service_request_id,
    )
    return fhir_response(answer, media)


@router.post("/ServiceRequest")
def post_service_request(
    request: Request,
    caller: Submitter,
    media: Negotiated,
    body: Body,
    session: DbSession,
    if_none_exist: Annotated[str | None, Header()] = None,
    prefer: Annotated[str | None, Header()] = None,
):
    """A ServiceRequest with its Patient contained: 201 (200 when If-None-Exist or its identifier
    finds the same referral), with Location, ETag and Last-Modified."""
    submission = parse_service_request(body.data, if_none_exist)
    receipt = _receive(request, session, caller, submission, body.data)
    referral = receipt.referral
    headers = version_headers("ServiceRequest", referral.service_request_id, 1, referral.created_at)
    resource = service_request_resource(
        receipt.service_request_body, referral.service_request_id, referral.created_at
    )
    minimal = prefer is not None and "return=minimal" in prefer
    return fhir_response(None if minimal else resource, media, 200 if receipt.replayed else 201, headers)


@router.get("/ServiceRequest/{resource_id}")
def get_service_request(
    resource_id: str, request: Request, caller: RequestReader, media: Negotiated, session: DbSession
):
    resource = read_service_request(
        SqlFhirRepository(session),
        SqlIntakeRepository(session, client_ip(request)),
        caller,
        _uuid(resource_id, "ServiceRequest"),
        utcnow(),
    )
    headers = version_headers("ServiceRequest", UUID(resource["id"]), 1, utcnow())
    headers.pop("Location")
    headers["Last-Modified"] = _http_date(resource["meta"]["lastUpdated"])
    return fhir_response(resource, media, headers=headers)


@router.get("/Task/{task_id}")
def get_task(task_id: str, request: Request, caller: TaskReader, media: Negotiated, session: DbSession):
    task = read_task(
        SqlFhirRepository(session),
        SqlIntakeRepository(session, client_ip(request)),
        caller,
        _uuid(task_id, "Task"),
        utcnow(),
    )
    headers = {
        "ETag": f'W/"{task["meta"]["versionId"]}"',
        "Last-Modified": _http_date(task["meta"]["lastUpdated"]),
    }
    return fhir_response(task, media, headers=headers)


@router.get("/Task")
def search_task(request: Request, caller: TaskSearcher, media: Negotiated, session: DbSession):
    """focus, based-on, status, _lastUpdated (gt/ge/lt/le), _count: a searchset Bundle."""
    query = parse_task_query(list(request.query_params.multi_items()))
    repo = SqlFhirRepository(session)
    bundle = search_tasks(
        repo, SqlIntakeRepository(session, client_ip(request)), caller, query, fhir_base_url()
    )
    return fhir_response(bundle, media)


def _http_date(instant: str) -> str:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).strftime("%a, %d %b %Y %H:%M:%S GMT")
