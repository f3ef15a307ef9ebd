"""The triage safety net's decisions (the rules: app/safety.py). A named caller only — a
coordinator or supervisor for a possible crisis, the copied clinical reviewer or a supervisor for a
clinical review — never an email link: the link page (api/links.py) can only point here."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shared.caller import Caller
from shared.clock import utcnow
from shared.errors import FieldProblem, validation_error
from shared.http.deps import DbSession, require_caller
from shared.http.json_body import json_model
from shared.schema import Role

from services.routing.adapters.repository import SqlRoutingRepository
from services.routing.app import safety
from services.routing.app.actions import STAFF
from services.routing.domain.safety import ConfirmReason, DowngradeReason, NotSuitableReason, ReviewDecision

router = APIRouter(tags=["triage safety net"])
Staff = Annotated[Caller, Depends(require_caller(*STAFF, scope="lead"))]
Reviewer = Annotated[Caller, Depends(require_caller(Role.coordinator, Role.supervisor, scope="lead"))]
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class CrisisCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["confirm", "downgrade"]
    urgency: Literal["urgent", "routine"] | None = None  # downgrade: to what
    reason: ConfirmReason | DowngradeReason
    note: Note | None = None  # in the coordinator's words (PHI: stored encrypted)


def check_crisis_form(body: CrisisCheckIn) -> None:
    """Each field at fault by name (never its value)."""
    problems = []
    if body.decision == "downgrade":
        if body.urgency is None:
            problems.append(
                FieldProblem("urgency", "required", "A downgrade says to what: urgent or routine")
            )
        if body.reason.value not in {r.value for r in DowngradeReason}:
            problems.append(FieldProblem("reason", "invalid", "A downgrade takes a downgrade reason"))
        if body.note is None:
            problems.append(FieldProblem("note", "required", "A downgrade says why, in words"))
    else:
        if body.urgency is not None:
            problems.append(FieldProblem("urgency", "not_allowed", "A confirmed crisis stays a crisis"))
        if body.reason.value not in {r.value for r in ConfirmReason}:
            problems.append(FieldProblem("reason", "invalid", "A confirmation takes a confirm reason"))
    if problems:
        raise validation_error(problems)


class ClinicalReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: ReviewDecision
    reason: NotSuitableReason | None = None  # required for not_suitable
    note: Note | None = None  # PHI: stored encrypted


@router.post("/v1/leads/{lead_id}/crisis-check")
def crisis_check(
    lead_id: UUID,
    caller: Staff,
    body: Annotated[CrisisCheckIn, Depends(json_model(CrisisCheckIn, empty_is_object=True))],
    session: DbSession,
):
    """Confirm a possible crisis (it is a crisis) or downgrade it to urgent or routine, with a reason."""
    check_crisis_form(body)
    return safety.decide_crisis_check(
        SqlRoutingRepository(session),
        caller,
        lead_id,
        decision=body.decision,
        urgency=body.urgency,
        reason=body.reason.value,
        note=body.note,
        now=utcnow(),
    )


@router.post("/v1/leads/{lead_id}/clinical-review")
def clinical_review(
    lead_id: UUID,
    caller: Reviewer,
    body: Annotated[ClinicalReviewIn, Depends(json_model(ClinicalReviewIn, empty_is_object=True))],
    session: DbSession,
):
    """A clinician's decision on the lead's contraindications and warnings: cleared, not suitable
    (with a reason), or needs more information. It never closes the lead."""
    return safety.review_lead(
        SqlRoutingRepository(session),
        caller,
        lead_id,
        decision=body.decision.value,
        reason=body.reason.value if body.reason else None,
        note=body.note,
        now=utcnow(),
    )
