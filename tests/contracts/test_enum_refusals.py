"""Every enumerated field of every input schema refuses an unknown value with a 422 that names the
field and lists the allowed values — and never repeats what was sent."""

from __future__ import annotations

import enum
import json
import types
import typing

import pytest
from pydantic import BaseModel, ValidationError

import careroute.asgi  # noqa: F401  (imports every router, so every schema exists)
from shared.http.problems import problems_from_validation
from tests.factories import web_form

BAD = "zz-not-allowed"


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def allowed_values(annotation) -> list | None:
    """The allowed values of a Literal or Enum anywhere inside `annotation` (None when none)."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    for arg in typing.get_args(annotation):
        found = allowed_values(arg)
        if found:
            return found
    return None


def invalid_for(annotation):
    """A value of the right shape whose enumerated part is not allowed."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return invalid_for(args[0])
    if origin in (typing.Union, types.UnionType):
        return invalid_for(next(a for a in args if allowed_values(a)))
    if origin in (list, tuple, set, frozenset):
        return [invalid_for(args[0])]
    if origin is dict:
        key, value = args
        return {
            invalid_for(key) if allowed_values(key) else "x": invalid_for(value)
            if allowed_values(value)
            else 1
        }
    return BAD


INPUT_FIELDS = sorted(
    (
        (model, name)
        for model in _subclasses(BaseModel)
        if model.__module__.startswith(("services.", "shared."))
        and model.model_config.get("extra") == "forbid"
        for name, field in model.model_fields.items()
        if allowed_values(field.annotation)
    ),
    key=lambda pair: (pair[0].__module__, pair[0].__name__, pair[1]),
)


def test_the_scan_finds_the_schemas_it_must_cover():
    names = {(m.__name__, f) for m, f in INPUT_FIELDS}
    assert {
        ("WebInquiryIn", "language"),
        ("PatientIn", "preferred_language"),
        ("StatusIn", "status"),
    } <= names
    assert len(INPUT_FIELDS) >= 20


@pytest.mark.parametrize(("model", "name"), INPUT_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_an_unknown_value_is_refused_naming_the_field_and_the_allowed_values(model, name):
    field = model.model_fields[name]
    allowed = allowed_values(field.annotation)
    with pytest.raises(ValidationError) as refused:
        model.model_validate({name: invalid_for(field.annotation)})
    mine = [p for p in problems_from_validation(refused.value) if p.field.split(".")[0] == name]
    enum_problems = [p for p in mine if p.code in ("literal_error", "enum")]
    assert enum_problems, f"{model.__name__}.{name}: {[(p.field, p.code) for p in mine]}"
    for problem in enum_problems:
        assert all(repr(value) in problem.detail or f"'{value}'" in problem.detail for value in allowed), (
            problem
        )
        assert BAD not in problem.detail


def test_language_xx_is_refused_over_http_listing_en_and_es(client):
    response = client.post(
        "/v1/inquiries/web",
        content=json.dumps(web_form(language="xx")),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [problem] = response.json()["errors"]
    assert problem["field"] == "language" and problem["detail"] == "Input should be 'en' or 'es'"


def test_an_enumerated_query_parameter_is_refused_the_same_way(client, make_key):
    """The audit export's `format` (issue 10 A) is a query parameter, not a body schema."""
    response = client.get("/v1/audit/export", params={"format": BAD}, headers=make_key("supervisor"))
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"].endswith("format") and problem["detail"] == "Input should be 'jsonl' or 'csv'"
    assert BAD not in response.text
