"""FHIR referrals over HTTP: a transaction Bundle and a contained ServiceRequest taken in through
the referral path, read back, idempotent, refused as OperationOutcomes, negotiated, scoped."""

from __future__ import annotations

import json

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import FhirAttachment, Lead, LeadContact, OutboxEvent
from tests.support.fhir import (
    FHIR_JSON,
    PATIENT_NAME,
    contained_service_request,
    model_built_bundle,
    referral_bundle,
)

ORG = "Harbor Psychiatry"


def _post(client, key, body, path="/fhir/r4", **headers):
    return client.post(path, content=json.dumps(body), headers={**FHIR_JSON, **key, **headers})


def _leads() -> int:
    with unit_of_work() as session:
        return len(session.exec(select(Lead)).all())


def test_transaction_bundle_makes_one_referral_lead_and_answers_201_per_entry(client, make_key):
    key = make_key("provider", organization=ORG)
    response = _post(client, key, referral_bundle())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    answer = response.json()
    assert answer["type"] == "transaction-response" and len(answer["entry"]) == 9
    assert {e["response"]["status"] for e in answer["entry"]} == {"201 Created"}
    locations = [e["response"]["location"] for e in answer["entry"]]
    assert locations[1].startswith("ServiceRequest/") and locations[1].endswith("/_history/1")
    assert all(e["response"]["etag"] == 'W/"1"' and e["response"]["lastModified"] for e in answer["entry"])
    with unit_of_work() as session:
        lead = session.exec(select(Lead)).one()
        contact = session.get(LeadContact, lead.id)
        events = {e.event_type for e in session.exec(select(OutboxEvent)).all()}
        pdf = session.exec(select(FhirAttachment)).one()
    assert lead.channel == "referral" and lead.organization == ORG and lead.region == "CA"
    assert contact.name == PATIENT_NAME and contact.details["icd10_codes"] == ["F33.2"]
    assert contact.details["phq9_total"] == 21 and contact.details["gad7_total"] == 12
    assert contact.details["referrer"]["email"] == "dr.shah@harbor.example"
    assert events == {"lead.received", "referral.status_changed"}
    assert pdf.data.startswith(b"%PDF-") and pdf.content_type == "application/pdf"

    sr_id = locations[1].split("/")[1]
    read = client.get(f"/fhir/r4/ServiceRequest/{sr_id}", headers=key)
    assert read.status_code == 200 and read.headers["etag"] == 'W/"1"'
    resource = read.json()
    patient_id = locations[0].split("/")[1]
    assert resource["id"] == sr_id and resource["subject"] == {"reference": f"Patient/{patient_id}"}
    assert resource["requester"]["reference"].startswith("PractitionerRole/")


def test_a_bundle_built_with_fhir_resources_models_is_taken_in(client, make_key):
    response = _post(client, make_key("provider", organization=ORG), model_built_bundle())
    assert response.status_code == 200, response.text
    with unit_of_work() as session:
        details = session.exec(select(LeadContact)).one().details
    assert details["icd10_codes"] == ["F43.10"] and details["pcl5_total"] == 52
    assert details["provider_urgency"] == "urgent"


def test_contained_service_request_answers_201_with_location_and_reads_back(client, make_key):
    key = make_key("provider", organization=ORG)
    response = _post(client, key, contained_service_request(), "/fhir/r4/ServiceRequest")
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("ServiceRequest/") and response.headers["etag"] == 'W/"1"'
    body = response.json()
    assert body["resourceType"] == "ServiceRequest" and body["subject"] == {"reference": "#p1"}
    read = client.get(f"/fhir/r4/{location.rsplit('/_history', 1)[0]}", headers=key)
    assert read.status_code == 200 and read.json()["contained"][0]["resourceType"] == "Patient"
    with unit_of_work() as session:
        assert session.exec(select(LeadContact)).one().details["icd10_codes"] == ["F43.10"]  # SNOMED 47505003


def test_the_same_bundle_identifier_returns_the_original_resources_and_makes_no_second_lead(client, make_key):
    key = make_key("provider", organization=ORG)
    first = _post(client, key, referral_bundle(identifier="B-1")).json()
    again = _post(client, key, referral_bundle(identifier="B-1"))  # new urn:uuids, same content
    assert again.status_code == 200
    assert [e["response"]["location"] for e in again.json()["entry"]] == [
        e["response"]["location"] for e in first["entry"]
    ]
    assert {e["response"]["status"] for e in again.json()["entry"]} == {"200 OK"}
    assert _leads() == 1
    changed = _post(client, key, referral_bundle(identifier="B-1", phq9_total=5))
    assert changed.status_code == 409
    assert changed.json()["issue"][0]["code"] == "duplicate"
    assert _leads() == 1


def test_if_none_exist_on_the_service_request_finds_the_original(client, make_key):
    key = make_key("provider", organization=ORG)
    condition = {"If-None-Exist": "identifier=https://ehr.example/placer|SR-9"}
    first = _post(client, key, contained_service_request("SR-9"), "/fhir/r4/ServiceRequest", **condition)
    again = _post(client, key, contained_service_request("SR-9"), "/fhir/r4/ServiceRequest", **condition)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.headers["location"] == again.headers["location"]
    in_bundle = referral_bundle(
        sr_identifier="SR-10", if_none_exist="identifier=https://ehr.example/placer|SR-10"
    )
    assert _post(client, key, in_bundle).status_code == 200
    assert _post(client, key, in_bundle).json()["entry"][1]["response"]["status"] == "200 OK"
    assert _leads() == 2
    other = contained_service_request("SR-9")
    other["note"] = [{"text": "A different referral reusing the placer number."}]
    refused = _post(client, key, other, "/fhir/r4/ServiceRequest")
    assert refused.status_code == 409 and refused.json()["resourceType"] == "OperationOutcome"
    assert _leads() == 2


def test_invalid_bundles_are_operation_outcomes_with_fhirpath_and_no_values(client, make_key):
    key = make_key("provider", organization=ORG)
    bundle = referral_bundle(icd10="Q99.99999")
    del bundle["entry"][1]["resource"]["intent"]
    bundle["entry"][0]["resource"]["gender"] = "robot"
    bundle["entry"].append(
        {"resource": {"resourceType": "Foo", "x": 1}, "request": {"method": "POST", "url": "Foo"}}
    )
    response = _post(client, key, bundle)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    found = {(i["code"], i["expression"][0]) for i in outcome["issue"]}
    assert ("required", "Bundle.entry[1].resource.intent") in found
    assert ("code-invalid", "Bundle.entry[0].resource.gender") in found
    assert ("not-supported", "Bundle.entry[9].resource.resourceType") in found
    assert "robot" not in response.text and "Foo" not in response.text
    codes = _post(client, key, referral_bundle(icd10="Q99.99999"))
    assert codes.status_code == 422
    assert codes.json()["issue"][0]["expression"] == ["Bundle.entry[5].resource.code.coding[0].code"]
    assert "Q99" not in codes.text
    assert _leads() == 0


def test_unknown_types_wrong_bundle_shapes_and_missing_patient_contact_are_refused_cleanly(client, make_key):
    key = make_key("provider", organization=ORG)
    assert _post(client, key, {"resourceType": "Nonsense"}).status_code == 422
    batch = referral_bundle()
    batch["type"] = "batch"
    assert _post(client, key, batch).json()["issue"][0]["expression"] == ["Bundle.type"]
    task = referral_bundle()
    task["entry"].append(
        {
            "resource": {"resourceType": "Task", "status": "requested", "intent": "order"},
            "request": {"method": "POST", "url": "Task"},
        }
    )
    assert _post(client, key, task).json()["issue"][0]["code"] == "not-supported"
    unreachable = referral_bundle()
    del unreachable["entry"][0]["resource"]["telecom"]
    response = _post(client, key, unreachable)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.telecom"]
    contained = contained_service_request()
    contained["contained"][0]["resourceType"] = "Alien"
    response = _post(client, key, contained, "/fhir/r4/ServiceRequest")
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["ServiceRequest.contained[0].resourceType"]
    assert _leads() == 0


def test_oversized_malformed_and_unnegotiable_requests(client, make_key):
    from shared.settings import get_settings

    key = make_key("provider", organization=ORG)
    huge = referral_bundle(note="x" * (get_settings().fhir_max_body_bytes + 10))
    too_big = _post(client, key, huge)
    assert too_big.status_code == 413 and too_big.json()["issue"][0]["code"] == "too-costly"
    malformed = client.post("/fhir/r4", content=b"{not json", headers={**FHIR_JSON, **key})
    assert malformed.status_code == 400 and malformed.json()["issue"][0]["code"] == "structure"
    text = client.post("/fhir/r4", content=b"hello", headers={"content-type": "text/plain", **key})
    assert text.status_code == 415 and text.json()["resourceType"] == "OperationOutcome"
    xml = client.get("/fhir/r4/metadata", headers={"accept": "application/fhir+xml"})
    assert xml.status_code == 406 and xml.json()["issue"][0]["code"] == "not-supported"
    assert client.get("/fhir/r4/metadata?_format=xml").status_code == 406
    plain = _post(
        client, key, referral_bundle(), **{"content-type": "application/json", "accept": "application/json"}
    )
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    assert (
        client.get("/fhir/r4/metadata?_format=json")
        .headers["content-type"]
        .startswith("application/fhir+json")
    )


def test_reads_are_scoped_to_the_callers_organization(client, make_key):
    mine, theirs = make_key("provider", organization=ORG), make_key("provider", organization="Other Clinic")
    answer = _post(client, mine, referral_bundle()).json()
    sr_id = answer["entry"][1]["response"]["location"].split("/")[1]
    assert client.get(f"/fhir/r4/ServiceRequest/{sr_id}", headers=theirs).status_code == 404
    tasks = client.get(f"/fhir/r4/Task?based-on=ServiceRequest/{sr_id}", headers=theirs).json()
    assert tasks["total"] == 0
    assert client.get(f"/fhir/r4/Task?based-on=ServiceRequest/{sr_id}", headers=mine).json()["total"] == 1
    no_org = _post(client, make_key("provider"), referral_bundle())
    assert no_org.status_code == 403 and no_org.json()["issue"][0]["code"] == "forbidden"
    assert _post(client, make_key("coordinator"), referral_bundle()).status_code == 403
    anonymous = client.get(f"/fhir/r4/ServiceRequest/{sr_id}")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert anonymous.json()["issue"][0]["code"] == "login"
    assert client.get("/fhir/r4/ServiceRequest/not-a-uuid", headers=mine).status_code == 404
    assert client.get("/fhir/r4/Nothing", headers=mine).json()["resourceType"] == "OperationOutcome"


def test_metadata_lists_exactly_what_is_implemented(client):
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate(response.json())
    rest = statement.rest[0]
    by_type = {r.type: r for r in rest.resource}
    assert [i.code for i in by_type["ServiceRequest"].interaction] == ["create", "read"]
    assert [i.code for i in by_type["Task"].interaction] == ["read", "search-type"]
    assert {p.name for p in by_type["Task"].searchParam} == {
        "focus",
        "based-on",
        "status",
        "_lastUpdated",
        "_count",
    }
    assert by_type["Patient"].interaction is None
    assert [i.code for i in rest.interaction] == ["transaction"]
    token = rest.security.extension[0].extension[0].valueUri
    assert token.endswith("/fhir/r4/auth/token")
    assert client.get("/.well-known/smart-configuration").json()["token_endpoint"] == token
