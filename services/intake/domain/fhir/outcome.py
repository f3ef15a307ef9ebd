"""Issues and the OperationOutcome they become.

Each issue names the field at fault as a FHIRPath expression (`Bundle.entry[2].resource.code.
coding[0].code`), an issue type code and a sentence of ours — never the submitted value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.errors import DomainError, FieldProblem


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR issue type: required, value, code-invalid, not-supported, structure, ...
    expression: str | None
    diagnostics: str
    severity: str = "error"


@dataclass
class FhirError(DomainError):
    """A refusal a FHIR client reads as an OperationOutcome (problem+json elsewhere)."""

    issues: list[Issue] = field(default_factory=list)


def fhir_error(status: int, issues: list[Issue], title: str = "The FHIR request was refused") -> FhirError:
    codes = {
        400: "bad_request",
        404: "not_found",
        409: "conflict",
        413: "body_too_large",
        422: "validation_failed",
    }
    return FhirError(
        code=codes.get(status, "fhir_error"),
        status=status,
        title=title,
        errors=[FieldProblem(i.expression or "", i.code, i.diagnostics) for i in issues],
        issues=issues,
    )


def invalid(issues: list[Issue]) -> FhirError:
    return fhir_error(422, issues, "The FHIR resource is not valid")


def operation_outcome(issues: list[Issue]) -> dict:
    out = []
    for issue in issues:
        entry: dict = {"severity": issue.severity, "code": issue.code, "diagnostics": issue.diagnostics}
        if issue.expression:
            entry["expression"] = [issue.expression]
        out.append(entry)
    return {"resourceType": "OperationOutcome", "issue": out}


# DomainError codes from the shared edge (auth, body limits, outages) as FHIR issue types.
_ISSUE_TYPE = {
    "unauthorized": "login",
    "forbidden": "forbidden",
    "insufficient_scope": "forbidden",
    "not_found": "not-found",
    "http_404": "not-found",
    "http_405": "not-supported",
    "body_too_large": "too-costly",
    "too_deep": "too-costly",
    "unsupported_media_type": "not-supported",
    "malformed_json": "structure",
    "duplicate_key": "structure",
    "service_unavailable": "transient",
    "internal_error": "exception",
    "validation_failed": "invalid",
    "idempotency_conflict": "conflict",
}


def issues_for(error: DomainError) -> list[Issue]:
    """Any DomainError as issues: a FhirError keeps its own; others get one per field (or one)."""
    if isinstance(error, FhirError) and error.issues:
        return error.issues
    kind = _ISSUE_TYPE.get(error.code, "processing")
    if error.errors:
        return [Issue(kind, p.field or None, p.detail) for p in error.errors]
    text = f"{error.title}. {error.detail}".strip() if error.detail else error.title
    return [Issue(kind, None, text)]
