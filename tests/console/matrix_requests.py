"""Request builders for the access matrix (test_access_matrix.py) that need more than a path:
signed referrer links, FHIR bodies and tokens, and leads set up for the safety net's reviews."""

from __future__ import annotations

import json

from tests.console.world import SMART_SCOPES, World
from tests.support.fhir import FHIR_JSON, assertion, contained_service_request, referral_bundle

REVIEW = {"decision": "needs_info", "note": "ask for the neurosurgery letter"}


def _json(body) -> dict:
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


def referrer_status(world: World, caller):
    from shared.settings import get_settings

    from services.notify.domain.status_link import sign_status_token

    lead = world.lead(world.sam, channel="referral", organization="Harbor Psychiatry")
    token = sign_status_token(get_settings().secret_key.get_secret_value(), lead.reference, lead.id)
    return "GET", f"/referrals/{lead.reference}/status?t={token}", {}


def refer_status(organization: str):
    def build(world: World, caller):
        lead = world.lead(world.sam, channel="referral", organization=organization)
        return "GET", f"/refer/{lead.reference}", {}

    return build


def fhir_post(path: str):
    def build(world: World, caller):
        body = referral_bundle(with_pdf=False) if path == "/fhir/r4" else contained_service_request()
        return "POST", path, {"content": json.dumps(body), "headers": dict(FHIR_JSON)}

    return build


def fhir_read(kind: str, organization: str):
    def build(world: World, caller):
        referral = world.fhir_referral(organization)
        resource_id = referral.service_request_id if kind == "ServiceRequest" else referral.task_id
        return "GET", f"/fhir/r4/{kind}/{resource_id}", {}

    return build


def smart_token(world: World, caller):
    """The token endpoint is public: the signed assertion is the credential, whoever sends it."""
    from shared.smart import ASSERTION_TYPE, token_url

    form = {
        "grant_type": "client_credentials",
        "scope": SMART_SCOPES,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(world.smart_key, world.smart_client_id, token_url()),
    }
    return "POST", "/fhir/r4/auth/token", {"data": form}


def review_path(reviewer: bool):
    """A lead awaiting clinical review: Dana is its copied clinical reviewer, or its owner."""

    def build(world: World, caller):
        if reviewer:
            lead = world.lead(world.sam, clinical_review="pending", reviewer=world.dana)
        else:
            lead = world.lead(world.dana, clinical_review="pending", reviewer=world.sam)
        return "POST", f"/v1/leads/{lead.id}/clinical-review", _json(REVIEW)

    return build


def desk_review(world: World, caller):
    """The lead page's clinician review form, on a lead Dana was copied on as its reviewer."""
    lead = world.lead(world.sam, clinical_review="pending", reviewer=world.dana)
    data = dict(REVIEW)
    if caller.kind == "session":
        data["csrf_token"] = "@session"
    return "POST", f"/console/lead/{lead.reference}/clinical-review", {"data": data}
