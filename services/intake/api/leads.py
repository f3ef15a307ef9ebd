"""GET /v1/leads/{id} (shaped per audience by views.py) and the triage preview."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from shared.caller import Caller
from shared.clock import utcnow
from shared.http.deps import DbSession, client_ip, require_caller
from shared.http.json_body import body_doc, json_model
from shared.schema import Role

from services.intake.adapters.repository import SqlIntakeRepository
from services.intake.api import schemas
from services.intake.api.views import lead_out
from services.intake.app.preview import preview
from services.intake.app.read_lead import READERS, read_lead
from services.intake.domain.intake import triage_details

router = APIRouter()
Reader = Annotated[Caller, Depends(require_caller(*READERS, scope="lead"))]
CallCenter = Annotated[Caller, Depends(require_caller(Role.call_center, Role.admin))]


@router.get(
    "/v1/leads/{lead_id}", response_model=schemas.LeadOut, response_model_exclude_none=False, tags=["leads"]
)
def get_lead(lead_id: UUID, request: Request, caller: Reader, session: DbSession):
    view, access = read_lead(SqlIntakeRepository(session, client_ip(request)), caller, lead_id, utcnow())
    return lead_out(view, staff=access.phi)


@router.post(
    "/v1/triage/preview",
    response_model=schemas.TriagePreviewOut,
    tags=["triage"],
    openapi_extra=body_doc(schemas.TriagePreviewIn),
)
def post_triage_preview(
    _caller: CallCenter,
    draft: Annotated[schemas.TriagePreviewIn, Depends(json_model(schemas.TriagePreviewIn))],
):
    structured = triage_details(
        veteran=draft.veteran, date_of_birth=draft.date_of_birth, preferred_language=draft.language
    )
    return preview(draft.notes, structured, draft.language)
