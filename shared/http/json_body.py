"""Strict JSON bodies: FastAPI would accept duplicate keys, NaN and any nesting; we refuse them."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from shared.errors import DomainError, FieldProblem, validation_error
from shared.http.problems import parse_model

MAX_JSON_DEPTH = 8


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


def _depth(value: Any, level: int = 1, max_depth: int = MAX_JSON_DEPTH) -> int:
    if level > max_depth:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1, max_depth) for v in value.values()] or [level])
    if isinstance(value, list):
        return max([_depth(v, level + 1, max_depth) for v in value] or [level])
    return level


async def read_json_body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise DomainError(
            "unsupported_media_type",
            415,
            "Send the body as application/json",
            headers={"Accept-Post": "application/json"},
        )
    return parse_strict_json(await request.body())


def parse_strict_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """UTF-8 JSON without duplicate keys, NaN or Infinity, nested at most `max_depth` levels."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _DuplicateKey as exc:
        raise validation_error(
            [FieldProblem(str(exc), "duplicate_key", "This key appears more than once.")]
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DomainError("malformed_json", 400, "The body is not valid UTF-8 JSON") from None
    if _depth(data, max_depth=max_depth) > max_depth:
        raise DomainError("too_deep", 400, f"JSON nesting is limited to {max_depth} levels")
    return data


async def optional_json_body(request: Request) -> Any:
    """An empty body reads as {} (actions whose fields are all optional); otherwise as above."""
    raw = await request.body()
    return await read_json_body(request) if raw.strip() else {}


def json_model(
    model: type[BaseModel], *, empty_is_object: bool = False
) -> Callable[[Request], Awaitable[Any]]:
    """A dependency: the body read strictly (above) and validated as `model` (422 names each field)."""

    async def dependency(request: Request) -> Any:
        data = await (optional_json_body(request) if empty_is_object else read_json_body(request))
        return parse_model(model, data)

    return dependency


def body_doc(model: type[BaseModel]) -> dict:
    """`openapi_extra` for a route that reads its body itself: keeps the schema in the OpenAPI document."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
