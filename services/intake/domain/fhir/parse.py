"""One resource through fhir.resources (its R4B models parse R4 4.0.1 payloads), plus the checks
it skips: an unknown resourceType (it raises a bare KeyError), resources we do not accept, and
required code bindings (`ServiceRequest.status: "bogus"` parses; we refuse it).

Every problem becomes an Issue whose expression is the FHIRPath of the element at fault under
`path` (e.g. `Bundle.entry[2].resource`). Diagnostics are fixed sentences: the submitted value is
never repeated, because it is PHI.
"""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from services.intake.domain.fhir.outcome import Issue

_TYPE_NAME = re.compile(r"^[A-Z][A-Za-z]{1,63}$")


def _missing(path: str) -> Issue:
    return Issue("required", path, "This element is required.")


def error_issue(err: dict, path: str) -> Issue:
    parts = [path]
    for part in err.get("loc", ()):
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
        elif isinstance(part, str) and not any(ch in part for ch in "[](),"):
            parts.append(part)
    where = ".".join(parts)
    kind = err.get("type", "")
    if kind in ("missing", "model_field_validation.missing"):
        return _missing(where)
    if kind == "extra_forbidden":
        return Issue("structure", where, "Unknown element for this resource type.")
    if kind.endswith("_type") or kind == "model_attributes_type":
        return Issue("structure", where, "Wrong JSON type for this element.")
    return Issue("value", where, "Not a valid value for this element's FHIR data type.")


def model_class(resource_type: Any) -> type[FHIRAbstractModel] | None:
    """The R4B model for a resourceType, or None for anything that is not a FHIR resource."""
    if not isinstance(resource_type, str) or not _TYPE_NAME.match(resource_type):
        return None
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError):
        return None


def check_type(data: Any, path: str, accepted: frozenset[str]) -> list[Issue]:
    """Is `data` a resource of a type we accept here? (Checked before parsing: see the module doc.)"""
    if not isinstance(data, dict):
        return [Issue("structure", path, "Must be a FHIR resource (a JSON object).")]
    kind = data.get("resourceType")
    if kind is None:
        return [_missing(f"{path}.resourceType")]
    if model_class(kind) is None:
        return [Issue("not-supported", f"{path}.resourceType", "Not a FHIR R4 resource type.")]
    if kind not in accepted:
        allowed = ", ".join(sorted(accepted))
        return [
            Issue(
                "not-supported",
                f"{path}.resourceType",
                f"This resource type is not accepted here ({allowed}).",
            )
        ]
    issues: list[Issue] = []
    contained = data.get("contained")
    if isinstance(contained, list):
        for i, item in enumerate(contained):
            issues += check_type(item, f"{path}.contained[{i}]", accepted - {"ServiceRequest"})
    return issues


def parse_resource(
    data: Any, path: str, accepted: frozenset[str]
) -> tuple[FHIRAbstractModel | None, list[Issue]]:
    issues = check_type(data, path, accepted)
    if issues:
        return None, issues
    try:
        model = model_class(data["resourceType"]).model_validate(data)
    except ValidationError as exc:
        return None, [error_issue(err, path) for err in exc.errors()]
    except (KeyError, TypeError, ValueError):  # fhir.resources' own failures on odd shapes
        return None, [Issue("structure", path, "This resource could not be read as FHIR R4.")]
    return model, check_bindings(model, path)


def check_bindings(model: FHIRAbstractModel, path: str) -> list[Issue]:
    """Required code bindings, which fhir.resources records (enum_values) but does not enforce."""
    issues: list[Issue] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        if value is None:
            continue
        element = f"{path}.{info.alias or name}"
        allowed = (
            (info.json_schema_extra or {}).get("enum_values")
            if isinstance(info.json_schema_extra, dict)
            else None
        )
        if allowed and "+" not in allowed:  # "+": the value set also takes descendants
            values = value if isinstance(value, list) else [value]
            for i, item in enumerate(values):
                if isinstance(item, str) and item not in allowed:
                    at = f"{element}[{i}]" if isinstance(value, list) else element
                    issues.append(
                        Issue("code-invalid", at, "Not a code from this element's required value set.")
                    )
        if isinstance(value, FHIRAbstractModel):
            issues += check_bindings(value, element)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, FHIRAbstractModel):
                    issues += check_bindings(item, f"{element}[{i}]")
    return issues
