"""Errors with a code and an HTTP status; the API renders them as RFC 9457 problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field


class TransientError(Exception):
    """A brief outage (database, broker, email provider): tasks retry these with backoff."""


@dataclass
class FieldProblem:
    field: str  # dotted path into the request body, e.g. "phone" or "screeners.phq9_item9"
    code: str
    detail: str  # written by us: never the submitted value


@dataclass
class DomainError(Exception):
    code: str
    status: int
    title: str
    detail: str = ""
    errors: list[FieldProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:  # never includes request data
        return f"{self.code}: {self.title}"


def validation_error(errors: list[FieldProblem], detail: str = "") -> DomainError:
    return DomainError(
        code="validation_failed",
        status=422,
        title="The request has invalid fields",
        detail=detail or "See `errors` for each field at fault.",
        errors=errors,
    )
