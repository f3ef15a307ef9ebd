"""Answers in FHIR's shapes: transaction-response and searchset Bundles, the ServiceRequest as
read back (references rewritten to the ids we gave), and the headers that go with a version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.domain.fhir.outcome import Issue, operation_outcome
from services.intake.domain.fhir.task import fhir_instant


def rewrite_references(value: Any, ids: dict[str, str]) -> Any:
    """A copy of `value` with every `reference` naming a Bundle entry (its fullUrl) replaced by
    `Type/id` as stored; contained (`#id`) and unknown references are left as they are."""
    if isinstance(value, dict):
        out = {k: rewrite_references(v, ids) for k, v in value.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in ids:
            out["reference"] = ids[ref]
        return out
    if isinstance(value, list):
        return [rewrite_references(v, ids) for v in value]
    return value


def version_headers(kind: str, resource_id: UUID, version: int, last_updated: datetime) -> dict[str, str]:
    return {
        "ETag": f'W/"{version}"',
        "Last-Modified": last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Location": f"{kind}/{resource_id}/_history/{version}",
    }


def service_request_resource(body: dict, resource_id: UUID, created_at: datetime) -> dict:
    resource = {k: v for k, v in body.items() if k not in ("id", "meta")}
    return {
        "resourceType": "ServiceRequest",
        "id": str(resource_id),
        "meta": {"versionId": "1", "lastUpdated": fhir_instant(created_at)},
        **{k: v for k, v in resource.items() if k != "resourceType"},
    }


def transaction_response(
    created: list[tuple[str, UUID]],
    *,
    replayed: bool,
    created_at: datetime,
    task_id: UUID,
    service_request_id: UUID,
) -> dict:
    """One response per request entry, in order: 201 when created now, 200 when the same Bundle
    (or ServiceRequest identifier) was already taken in."""
    entries = []
    for kind, resource_id in created:
        response: dict = {
            "status": "200 OK" if replayed else "201 Created",
            "location": f"{kind}/{resource_id}/_history/1",
            "etag": 'W/"1"',
            "lastModified": fhir_instant(created_at),
        }
        if resource_id == service_request_id:
            note = (
                f"Task/{task_id} tracks this referral: GET Task?based-on=ServiceRequest/{service_request_id}."
            )
            response["outcome"] = operation_outcome(
                [Issue("informational", None, note, severity="information")]
            )
        entries.append({"response": response})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "entry": entries,
    }


def searchset(base: str, resources: list[dict], total: int, self_link: str, next_link: str | None) -> dict:
    links = [{"relation": "self", "url": self_link}]
    if next_link:
        links.append({"relation": "next", "url": next_link})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }
