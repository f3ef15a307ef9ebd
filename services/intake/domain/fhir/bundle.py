"""The shape of a FHIR referral: a transaction Bundle, or a ServiceRequest with its resources
contained. Both become one `Submission`: every resource parsed, with its FHIRPath and how other
resources reference it (a Bundle entry's fullUrl, a contained resource's `#id`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fhir_core.fhirabstractmodel import FHIRAbstractModel

from services.intake.domain.fhir.outcome import Issue, invalid
from services.intake.domain.fhir.parse import check_bindings, error_issue, model_class, parse_resource

ACCEPTED = frozenset(
    {
        "Patient",
        "ServiceRequest",
        "Condition",
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Observation",
        "QuestionnaireResponse",
        "DocumentReference",
        "Coverage",
    }
)
MAX_ENTRIES = 100
MAX_IDENTIFIER = 255
Identifier = tuple[str, str]  # (system or "", value)


@dataclass
class Item:
    path: str  # FHIRPath of the resource: "Bundle.entry[2].resource", "ServiceRequest.contained[0]"
    resource_type: str
    model: FHIRAbstractModel
    data: dict  # as submitted
    key: str | None  # how a reference names it: the entry's fullUrl, or "#id" when contained
    entry_index: int | None = None


@dataclass
class Submission:
    service_request: Item
    patient: Item
    items: list[Item]
    bundle_identifier: Identifier | None = None
    if_none_exist: Identifier | None = None
    service_request_identifiers: list[Identifier] = field(default_factory=list)
    is_bundle: bool = True

    def resolve(self, reference: Any) -> Item | None:
        ref = getattr(reference, "reference", None)
        if not isinstance(ref, str) or not ref:
            return None
        for item in self.items:
            if item.key and (
                item.key == ref or (not ref.startswith(("urn:", "#")) and item.key.endswith("/" + ref))
            ):
                return item
        return None

    def of_type(self, *types: str) -> list[Item]:
        return [i for i in self.items if i.resource_type in types]


def _identifier(system: Any, value: Any, where: str, issues: list[Issue]) -> Identifier | None:
    if not isinstance(value, str) or not value.strip():
        issues.append(Issue("required", f"{where}.value", "An identifier needs a value."))
        return None
    system = system if isinstance(system, str) else ""
    if len(system) > MAX_IDENTIFIER or len(value) > MAX_IDENTIFIER:
        issues.append(
            Issue("value", where, f"Identifier system and value are limited to {MAX_IDENTIFIER} characters.")
        )
        return None
    return system, value.strip()


def parse_if_none_exist(query: str | None, where: str, issues: list[Issue]) -> Identifier | None:
    """`identifier=system|value` (the only condition supported), from the header or the entry."""
    if query is None or not query.strip():
        return None
    pairs = parse_qsl(query.strip().lstrip("?"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        issues.append(Issue("not-supported", where, "Only `identifier=system|value` is supported here."))
        return None
    system, bar, value = pairs[0][1].partition("|")
    if not bar:
        system, value = "", system
    return _identifier(system, value, where, issues)


def _sr_identifiers(item: Item, issues: list[Issue]) -> list[Identifier]:
    out = []
    for i, ident in enumerate(item.model.identifier or []):
        found = _identifier(ident.system, ident.value, f"{item.path}.identifier[{i}]", issues)
        if found:
            out.append(found)
    return out


def _check_bundle_shell(data: dict, issues: list[Issue]) -> None:
    """Bundle-level elements (type, identifier, entry.request...) through the Bundle model, with
    each entry's resource taken out (resources are parsed one by one, for their own paths)."""
    shell = {k: v for k, v in data.items() if k != "entry"}
    entries = data.get("entry")
    if isinstance(entries, list):
        shell["entry"] = [
            {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e for e in entries
        ]
    model, found = None, []
    try:
        model = model_class("Bundle").model_validate(shell)
    except Exception as exc:  # pydantic's ValidationError: same mapping as any resource
        errors = exc.errors() if hasattr(exc, "errors") else []
        found = [error_issue(err, "Bundle") for err in errors] or [
            Issue("structure", "Bundle", "Not a valid Bundle.")
        ]
    if model is not None:
        found = check_bindings(model, "Bundle")
    issues += found


def read_transaction(data: Any) -> Submission:
    """A transaction Bundle, checked; raises FhirError (422) listing every issue found."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise invalid(
            [
                Issue(
                    "not-supported",
                    "Bundle.resourceType",
                    "POST a transaction Bundle here (or a ServiceRequest to /ServiceRequest).",
                )
            ]
        )
    issues: list[Issue] = []
    if data.get("type") != "transaction":
        code = "not-supported" if data.get("type") == "batch" else "value"
        issues.append(Issue(code, "Bundle.type", "Only transaction Bundles are accepted."))
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise invalid([*issues, Issue("required", "Bundle.entry", "A referral Bundle needs its entries.")])
    if len(entries) > MAX_ENTRIES:
        raise invalid([Issue("too-costly", "Bundle.entry", f"At most {MAX_ENTRIES} entries per Bundle.")])
    _check_bundle_shell(data, issues)
    items: list[Item] = []
    seen_urls: set[str] = set()
    if_none_exist = None
    for i, entry in enumerate(entries):
        at = f"Bundle.entry[{i}]"
        if not isinstance(entry, dict):
            continue  # reported by the shell check
        request = entry.get("request") if isinstance(entry.get("request"), dict) else None
        resource = entry.get("resource")
        if request is None:
            issues.append(
                Issue("required", f"{at}.request", "Each transaction entry needs a request (POST).")
            )
        elif request.get("method") not in (None, "POST"):
            issues.append(
                Issue("not-supported", f"{at}.request.method", "Only POST (create) entries are accepted.")
            )
        model, found = parse_resource(resource, f"{at}.resource", ACCEPTED)
        issues += found
        if model is None:
            continue
        kind = resource["resourceType"]
        if request is not None and request.get("url") not in (None, kind):
            issues.append(Issue("value", f"{at}.request.url", "Must be the entry resource's type."))
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        if full_url in seen_urls:
            issues.append(Issue("value", f"{at}.fullUrl", "Two entries have the same fullUrl."))
        seen_urls.add(full_url or "")
        if kind == "ServiceRequest" and request is not None:
            if_none_exist = parse_if_none_exist(
                request.get("ifNoneExist"), f"{at}.request.ifNoneExist", issues
            )
        items.append(Item(f"{at}.resource", kind, model, resource, full_url, i))
    ident = data.get("identifier")
    bundle_identifier = None
    if isinstance(ident, dict):
        bundle_identifier = _identifier(ident.get("system"), ident.get("value"), "Bundle.identifier", issues)
    if issues:
        raise invalid(issues)
    submission = _assemble(items, "Bundle.entry")
    submission.bundle_identifier = bundle_identifier
    submission.if_none_exist = if_none_exist
    return submission


def read_service_request(data: Any, if_none_exist: str | None) -> Submission:
    """A ServiceRequest with its Patient (and the rest) contained; `If-None-Exist` from the header."""
    issues: list[Issue] = []
    model, found = parse_resource(data, "ServiceRequest", ACCEPTED)
    issues += found
    condition = parse_if_none_exist(if_none_exist, "If-None-Exist", issues)
    if model is None or issues:
        raise invalid(issues)
    items = [Item("ServiceRequest", "ServiceRequest", model, data, None)]
    for i, contained in enumerate(model.contained or []):
        raw = data["contained"][i]
        key = f"#{raw['id']}" if isinstance(raw.get("id"), str) else None
        items.append(Item(f"ServiceRequest.contained[{i}]", raw["resourceType"], contained, raw, key))
    submission = _assemble(items, "ServiceRequest.contained")
    submission.is_bundle = False
    submission.if_none_exist = condition
    return submission


def _assemble(items: list[Item], where: str) -> Submission:
    issues: list[Issue] = []
    requests = [i for i in items if i.resource_type == "ServiceRequest"]
    if len(requests) != 1:
        raise invalid(
            [Issue("not-supported" if requests else "required", where, "Send exactly one ServiceRequest.")]
        )
    service_request = requests[0]
    submission = Submission(service_request=service_request, patient=service_request, items=items)
    patient = submission.resolve(service_request.model.subject)
    if patient is None or patient.resource_type != "Patient":
        raise invalid(
            [
                Issue(
                    "value",
                    f"{service_request.path}.subject",
                    "Must reference the referral's Patient, sent with it (fullUrl or #id).",
                )
            ]
        )
    submission.patient = patient
    for item in submission.of_type("Condition", "Observation", "QuestionnaireResponse", "DocumentReference"):
        subject = getattr(item.model, "subject", None)
        if subject is not None and submission.resolve(subject) is not patient:
            issues.append(Issue("value", f"{item.path}.subject", "Must reference the referral's Patient."))
    submission.service_request_identifiers = _sr_identifiers(service_request, issues)
    if issues:
        raise invalid(issues)
    return submission


def fingerprint(data: Any) -> str:
    """The body's identity for idempotency: canonical JSON, with each entry's fullUrl (and every
    reference to it) replaced by its position, since EHRs mint new urn:uuids on every send."""
    from services.intake.domain.fhir.render import rewrite_references

    if isinstance(data, dict) and isinstance(data.get("entry"), list):
        names = {}
        for i, entry in enumerate(data["entry"]):
            if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str):
                names[entry["fullUrl"]] = f"entry-{i}"
        data = rewrite_references(data, names)
        data["entry"] = [
            {**e, "fullUrl": names.get(e.get("fullUrl"), e.get("fullUrl"))} if isinstance(e, dict) else e
            for e in data["entry"]
        ]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
