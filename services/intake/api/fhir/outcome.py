"""Every error under /fhir/r4 as an OperationOutcome (registered with shared/http/problems.py by
the composition root): 401s keep WWW-Authenticate, 409s Retry-After, nothing echoes a value."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from shared.errors import DomainError

from services.intake.domain.fhir.outcome import issues_for, operation_outcome

FHIR_JSON = "application/fhir+json"


def fhir_problem(error: DomainError, extra: dict) -> JSONResponse:
    return JSONResponse(
        operation_outcome(issues_for(error)),
        status_code=error.status,
        media_type=FHIR_JSON,
        headers=error.headers,
    )
