"""The pure FHIR mapping (no database): Bundle → the JSON referral's Inquiry, and every refusal
naming its field by FHIRPath without repeating the value."""

from __future__ import annotations

import copy

import pytest

from tests.support.fhir import contained_service_request, model_built_bundle, referral_bundle

from services.intake.domain.fhir.bundle import fingerprint, read_service_request, read_transaction
from services.intake.domain.fhir.mapping import NO_NARRATIVE, map_referral
from services.intake.domain.fhir.outcome import FhirError
from services.intake.domain.fhir.search import parse_task_query
from services.intake.domain.fhir.task import TrailStep, project

MAX = 5_000_000


def _map(bundle: dict):
    return map_referral(read_transaction(bundle), "Harbor Psychiatry", MAX)


def _issues(fn, *args) -> list[tuple[str, str | None]]:
    with pytest.raises(FhirError) as caught:
        fn(*args)
    return [(i.code, i.expression) for i in caught.value.issues]


def test_a_full_bundle_maps_to_the_json_referrals_fields():
    mapped = _map(
        referral_bundle(priority="asap", phq9_item9=2, veteran=True, language="es-MX", snomed="6471006")
    )
    inquiry = mapped.inquiry
    assert (inquiry.channel, inquiry.name, inquiry.phone, inquiry.email) == (
        "referral",
        "Jordan Fhirpatient",
        "+19495550177",
        "jordan@example.com",
    )
    assert inquiry.organization == "Harbor Psychiatry" and inquiry.language == "es"
    details = inquiry.details
    assert details["icd10_codes"] == ["F33.2", "R45.851"]  # SNOMED 6471006 (suicidal thoughts) mapped
    assert details["provider_urgency"] == "urgent" and details["veteran"] is True
    assert (details["phq9_total"], details["phq9_item9"], details["gad7_total"]) == (21, 2, 12)
    assert details["requested_treatment"] == "spravato" and details["state"] == "CA"
    assert details["referrer"] == {
        "name": "Priya Shah",
        "practice": "Harbor Psychiatry",
        "npi": "1234567893",
        "email": "dr.shah@harbor.example",
        "phone": "+19495550100",
    }
    assert len(mapped.attachments) == 1 and mapped.priority == "asap"


def test_unknown_snomed_is_kept_but_not_mapped_and_routine_priority_stays_routine():
    details = _map(referral_bundle(snomed="123456789")).inquiry.details
    assert details["icd10_codes"] == ["F33.2"] and details["snomed_codes"] == ["123456789"]
    assert details["provider_urgency"] == "routine"


def test_icd10_without_the_dot_and_coverage_by_the_va():
    bundle = referral_bundle(icd10="F4310")
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:cov",
            "resource": {
                "resourceType": "Coverage",
                "status": "active",
                "type": {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.221.5", "code": "3212"}]},
                "beneficiary": {"reference": bundle["entry"][0]["fullUrl"]},
                "payor": [{"display": "VA Community Care"}],
            },
            "request": {"method": "POST", "url": "Coverage"},
        }
    )
    details = _map(bundle).inquiry.details
    assert details["icd10_codes"] == ["F43.10"]
    assert details["veteran"] is True and details["va_community_care"] is True


def test_contained_service_request_and_model_built_bundle():
    mapped = map_referral(read_service_request(contained_service_request(), None), "X", MAX)
    assert (
        mapped.inquiry.details["icd10_codes"] == ["F43.10"] and mapped.inquiry.email == "jordan@example.com"
    )
    mapped = map_referral(read_transaction(model_built_bundle()), "X", MAX)
    assert mapped.inquiry.details["pcl5_total"] == 52 and mapped.inquiry.message == "PTSD"


def test_codes_screeners_and_attachments_that_are_wrong_are_named_by_fhirpath():
    bundle = referral_bundle(icd10="F33.2")
    bundle["entry"][5]["resource"]["code"]["coding"].append(
        {"system": "http://snomed.info/sct", "code": "12ab"}
    )
    bundle["entry"][6]["resource"]["component"][0]["valueInteger"] = 40
    bundle["entry"][8]["resource"]["content"][0]["attachment"]["contentType"] = "image/png"
    found = _issues(_map, bundle)
    assert ("code-invalid", "Bundle.entry[5].resource.code.coding[1].code") in found
    assert ("value", "Bundle.entry[6].resource.component[0].valueInteger") in found
    assert ("not-supported", "Bundle.entry[8].resource.content[0].attachment.contentType") in found


def test_structure_problems_missing_elements_and_unknown_types():
    bundle = referral_bundle()
    bundle["entry"][1]["resource"]["status"] = "bogus"
    bundle["entry"][3]["resource"]["unknownElement"] = True
    bundle["entry"][2]["request"]["method"] = "PUT"
    found = _issues(read_transaction, bundle)
    assert ("code-invalid", "Bundle.entry[1].resource.status") in found
    assert ("structure", "Bundle.entry[3].resource.unknownElement") in found
    assert ("not-supported", "Bundle.entry[2].request.method") in found
    no_subject = referral_bundle()
    no_subject["entry"][1]["resource"]["subject"] = {"reference": "urn:uuid:nobody"}
    assert _issues(read_transaction, no_subject) == [("value", "Bundle.entry[1].resource.subject")]
    no_name = referral_bundle()
    del no_name["entry"][0]["resource"]["name"]
    assert _issues(_map, no_name) == [("required", "Bundle.entry[0].resource.name")]
    assert _issues(read_transaction, {"resourceType": "Patient"}) == [
        ("not-supported", "Bundle.resourceType")
    ]
    two = referral_bundle()
    two["entry"].append(copy.deepcopy(two["entry"][1]) | {"fullUrl": "urn:uuid:second"})
    assert _issues(read_transaction, two) == [("not-supported", "Bundle.entry")]


def test_diagnostics_never_repeat_the_submitted_values():
    bundle = referral_bundle(icd10="ZZZ-SECRET")
    bundle["entry"][0]["resource"]["telecom"] = [{"system": "phone", "value": "SECRET-PHONE"}]
    bundle["entry"][0]["resource"]["birthDate"] = "2999-01-01"
    with pytest.raises(FhirError) as caught:
        _map(bundle)
    text = " ".join(f"{i.expression} {i.diagnostics}" for i in caught.value.issues)
    assert len(caught.value.issues) == 3
    assert "SECRET" not in text and "2999" not in text


def test_no_narrative_gives_a_fixed_message_and_same_content_same_fingerprint():
    bundle = model_built_bundle()
    del bundle["entry"][1]["resource"]["reasonCode"][0]["text"]
    assert _map(bundle).inquiry.message == NO_NARRATIVE
    assert fingerprint(referral_bundle(identifier="x")) == fingerprint(referral_bundle(identifier="x"))
    assert fingerprint(referral_bundle(identifier="x")) != fingerprint(
        referral_bundle(identifier="x", phq9_total=3)
    )


def test_task_projection_is_monotonic_and_versions_each_status_reached():
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    at = lambda minutes: t0 + timedelta(minutes=minutes)
    assert project(t0, []).status == "requested" and project(t0, []).version == 1
    trail = [TrailStep("received", None, at(1)), TrailStep("completed", "first_visit_completed", at(3))]
    late = [*trail, TrailStep("in-progress", "scheduled", at(5))]  # an event handled out of order
    state = project(t0, late)
    assert state.status == "completed" and state.reason == "first_visit_completed" and state.version == 4


def test_task_query_parameters():
    query = parse_task_query([("based-on", "ServiceRequest/not-a-uuid"), ("status", "accepted")])
    assert query.service_requests and query.statuses == {"accepted"}
    for bad in (
        ("status", "done"),
        ("_lastUpdated", "2026-11-20"),
        ("_count", "500"),
        ("focus:Patient", "x"),
    ):
        with pytest.raises(FhirError) as caught:
            parse_task_query([bad])
        assert caught.value.status == 400 and caught.value.issues[0].expression == bad[0]
