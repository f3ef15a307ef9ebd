"""application/fhir+json in and out: `_format` or Accept pick the answer's type (fhir+json, or
json; anything else 406), a POST body must be fhir+json or json (else 415), read strictly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from shared.http.json_body import parse_strict_json

from services.intake.domain.fhir.outcome import Issue, fhir_error

FHIR_JSON = "application/fhir+json"
MAX_FHIR_DEPTH = 48  # a QuestionnaireResponse nests items in answers in items
_FORMATS = {
    "json": FHIR_JSON,
    "application/json": "application/json",
    "application/fhir+json": FHIR_JSON,
    "application/json+fhir": FHIR_JSON,  # the DSTU2 spelling, still sent by some clients
}
_WILDCARDS = {"*/*", "application/*"}


def _media(value: str) -> str:
    return value.split(";")[0].strip().lower()


def negotiate(request: Request) -> str:
    """The answer's media type; 406 when the client accepts nothing we send."""
    fmt = request.query_params.get("_format")
    if fmt is not None:
        chosen = _FORMATS.get(_media(fmt))
        if chosen is None:
            raise fhir_error(
                406, [Issue("not-supported", "_format", "Only JSON is served (json, application/fhir+json).")]
            )
        return chosen
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return FHIR_JSON
    for part in accept.split(","):
        media = _media(part)
        if media in _WILDCARDS:
            return FHIR_JSON
        if media in _FORMATS and "/" in media:
            return _FORMATS[media]
    raise fhir_error(
        406, [Issue("not-supported", None, "Only application/fhir+json (or application/json) is served.")]
    )


Negotiated = Annotated[str, Depends(negotiate)]


@dataclass(frozen=True)
class FhirBody:
    data: Any


async def read_fhir_body(request: Request) -> FhirBody:
    content_type = _media(request.headers.get("content-type", ""))
    if content_type not in ("application/fhir+json", "application/json", "application/json+fhir"):
        raise fhir_error(
            415,
            [Issue("not-supported", None, "Send the body as application/fhir+json (or application/json).")],
        )
    return FhirBody(parse_strict_json(await request.body(), max_depth=MAX_FHIR_DEPTH))


Body = Annotated[FhirBody, Depends(read_fhir_body)]


def fhir_response(
    body: dict | None, media_type: str, status: int = 200, headers: dict | None = None
) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers, media_type=media_type)
    return JSONResponse(body, status_code=status, headers=headers, media_type=media_type)
