"""HTTP edges shared by the FastAPI apps: problem+json, body limits, strict JSON, request ids.

Every error leaves as RFC 9457 problem+json naming the field at fault; no error ever echoes a
submitted value back, because submitted values are PHI.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError, FieldProblem, validation_error
from shared.logging import get_logger

log = get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
MAX_JSON_DEPTH = 8


def problem_response(error: DomainError, extra: dict | None = None) -> JSONResponse:
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


# ---------------------------------------------------------------------------------------------
# Strict JSON bodies: FastAPI would accept duplicate keys, NaN and any nesting; we refuse them.


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value] or [level])
    return level


async def read_json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise DomainError(
            "unsupported_media_type", 415, "Send the body as application/json",
            headers={"Accept-Post": "application/json"},
        )
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _DuplicateKey as exc:
        raise validation_error(
            [FieldProblem(str(exc), "duplicate_key", "This key appears more than once.")]
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DomainError("malformed_json", 400, "The body is not valid UTF-8 JSON") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise DomainError("too_deep", 400, f"JSON nesting is limited to {MAX_JSON_DEPTH} levels")
    return data


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
    for err in exc.errors():
        loc = [str(part) for part in err["loc"] if part not in ("body",)]
        kind = err["type"]
        if kind == "value_error":
            # Raised by our own validators, whose messages never contain the value.
            detail = str(err.get("ctx", {}).get("error", "Invalid value."))
        else:
            detail = _MESSAGES.get(kind) or _safe_pydantic_message(err)
        problems.append(FieldProblem(".".join(loc) or "body", kind, detail))
    return problems


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


# ---------------------------------------------------------------------------------------------
# Middleware


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuses bodies over `max_bytes`, counted as they arrive (chunked bodies have no length)."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}  # e.g. a provider's webhook that batches large payloads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.max_bytes)
        too_large = DomainError(
            "body_too_large", 413, "The request body is too large",
            detail=f"The limit is {limit} bytes.",
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await problem_response(too_large)(scope, receive, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await problem_response(too_large)(scope, receive, send)


class RequestIdMiddleware:
    """Binds a request id (ours, or a well-formed one from the caller) to every log line, and logs
    one line per request. It replaces uvicorn's access log, which prints query strings — and a
    coordinator link's query string is a signed token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if 8 <= len(candidate) <= 64 and candidate.replace("-", "").isalnum():
                    request_id = candidate
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)

        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info("request", method=scope["method"], path=scope["path"], status=status,
                     ms=round((time.perf_counter() - started) * 1000, 1))
            structlog.contextvars.clear_contextvars()


def install_problem_handlers(app: FastAPI, extra_for: Any = None) -> None:
    """`extra_for(request)` may add fields to every problem (intake adds crisis resources)."""

    def extra(request: Request) -> dict:
        return extra_for(request) if extra_for else {}

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return problem_response(exc, extra(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem_response(validation_error(problems_from_validation(exc)), extra(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        error = DomainError(
            f"http_{exc.status_code}", exc.status_code, titles.get(exc.status_code, "Request failed"),
            headers=dict(exc.headers or {}),
        )
        return problem_response(error, extra(request))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def _database_down(request: Request, exc: Exception):
        log.error("database_unavailable", error=type(exc).__name__)
        error = DomainError(
            "service_unavailable", 503, "Temporarily unavailable, please retry",
            detail="Nothing was saved. Please try again in a few seconds.",
            headers={"Retry-After": "5"},
        )
        return problem_response(error, extra(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled_error", error=type(exc).__name__)
        error = DomainError("internal_error", 500, "Something went wrong on our side")
        return problem_response(error, extra(request))
