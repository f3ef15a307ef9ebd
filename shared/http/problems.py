"""Every error leaves as RFC 9457 problem+json naming the field at fault; no error ever echoes a
submitted value back, because submitted values are PHI."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError, FieldProblem, validation_error
from shared.logging import get_logger

log = get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
# Paths whose clients expect errors in another shape (FHIR's OperationOutcome under /fhir/r4):
# the composition root registers a renderer per path prefix; the longest matching prefix wins.
_RENDERERS: dict[str, Callable[[DomainError, dict], Response]] = {}


def register_problem_renderer(prefix: str, renderer: Callable[[DomainError, dict], Response]) -> None:
    _RENDERERS[prefix.rstrip("/")] = renderer


def problem_response(error: DomainError, extra: dict | None = None, path: str | None = None) -> Response:
    if path is not None:
        matching = [p for p in _RENDERERS if path == p or path.startswith(p + "/")]
        if matching:
            return _RENDERERS[max(matching, key=len)](error, extra or {})
    body: dict[str, Any] = {
        "type": f"https://careroute.dev/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "code": error.code,
    }
    if error.detail:
        body["detail"] = error.detail
    if error.errors:
        body["errors"] = [p.__dict__ for p in error.errors]
    body.update(extra or {})
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "This field is not accepted here.",
    "string_too_long": "Too long.",
    "string_too_short": "Must not be empty.",
    "too_long": "Too many items.",
    "bool_type": "Must be true or false.",
    "bool_parsing": "Must be true or false.",
    "int_type": "Must be a whole number.",
    "int_parsing": "Must be a whole number.",
    "string_type": "Must be a string.",
    "dict_type": "Must be an object.",
    "model_type": "Must be an object.",
    "list_type": "Must be a list.",
    "date_from_datetime_parsing": "Must be a date as YYYY-MM-DD.",
    "date_parsing": "Must be a date as YYYY-MM-DD.",
    "date_type": "Must be a date as YYYY-MM-DD.",
    "literal_error": None,  # pydantic lists the allowed values, never the input: keep its text
    "enum": None,
    "greater_than_equal": None,
    "less_than_equal": None,
    "string_pattern_mismatch": "Has characters or a form that is not allowed.",
}


def problems_from_validation(exc: ValidationError | RequestValidationError) -> list[FieldProblem]:
    problems = []
    choices: dict[str, list[str]] = {}  # field → allowed values, over every member of a union
    for err in exc.errors():
        # pydantic names the member of a union it tried ("str-enum[Reason]"): not a field.
        loc = [str(part) for part in err["loc"] if part not in ("body",) and "[" not in str(part)]
        field = ".".join(loc) or "body"
        kind = err["type"]
        if kind in ("literal_error", "enum"):
            allowed = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
            if field in choices:  # another member of the same union: one problem lists them all
                choices[field].extend(v for v in allowed if v not in choices[field])
                continue
            choices[field] = allowed
        if kind == "value_error":
            # Raised by our own validators, whose messages never contain the value.
            detail = str(err.get("ctx", {}).get("error", "Invalid value."))
        else:
            detail = _MESSAGES.get(kind) or _safe_pydantic_message(err)
        problems.append(FieldProblem(field, kind, detail))
    for problem in problems:
        allowed = choices.get(problem.field)
        if problem.code in ("literal_error", "enum") and allowed and len(allowed) > 1:
            problem.detail = "Input should be " + ", ".join(allowed[:-1]) + " or " + allowed[-1]
    return problems


_QUOTED = re.compile(r"'[^']*'|[-0-9.]+")


def _safe_pydantic_message(err: dict) -> str:
    # Pydantic messages for these kinds describe the rule ("Input should be 'a' or 'b'"), not the
    # input; anything else gets a generic sentence.
    if err["type"] in ("literal_error", "enum", "greater_than_equal", "less_than_equal"):
        return err["msg"]
    return "Invalid value."


def parse_model(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(problems_from_validation(exc)) from None


def install_problem_handlers(app: FastAPI) -> None:
    """Handlers that turn every error into problem+json. A handler may add fields to the problems
    its request raises (intake adds crisis resources) by setting `request.state.problem_extra`."""

    def extra(request: Request) -> dict:
        return getattr(request.state, "problem_extra", None) or {}

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return problem_response(exc, extra(request), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem_response(
            validation_error(problems_from_validation(exc)), extra(request), request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        error = DomainError(
            f"http_{exc.status_code}",
            exc.status_code,
            titles.get(exc.status_code, "Request failed"),
            headers=dict(exc.headers or {}),
        )
        return problem_response(error, extra(request), request.url.path)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_down(request: Request, exc: Exception):
        log.error("database_unavailable", error=type(exc).__name__)
        error = DomainError(
            "service_unavailable",
            503,
            "Temporarily unavailable, please retry",
            detail="Nothing was saved. Please try again in a few seconds.",
            headers={"Retry-After": "5"},
        )
        return problem_response(error, extra(request), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled_error", error=type(exc).__name__)
        error = DomainError("internal_error", 500, "Something went wrong on our side")
        return problem_response(error, extra(request), request.url.path)
