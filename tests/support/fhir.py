"""FHIR referral payloads for tests: a hand-written transaction Bundle, the same built with
fhir.resources' R4B models, a ServiceRequest with contained resources, and SMART client keys."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FHIR_JSON = {"content-type": "application/fhir+json", "accept": "application/fhir+json"}
PATIENT_NAME = "Jordan Fhirpatient"
REFERRER_EMAIL = "dr.shah@harbor.example"


def urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _entry(full_url: str, resource: dict, **request: Any) -> dict:
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }


def referral_bundle(
    *,
    identifier: str | None = None,
    sr_identifier: str | None = None,
    priority: str = "routine",
    phq9_total: int = 21,
    phq9_item9: int = 0,
    icd10: str = "F33.2",
    snomed: str | None = None,
    veteran: bool | None = None,
    language: str | None = None,
    with_pdf: bool = True,
    note: str = "Recurrent MDD, failed three adequate SSRI/SNRI trials. Requesting Spravato evaluation.",
    if_none_exist: str | None = None,
) -> dict:
    """Patient, PractitionerRole + Practitioner + Organization, ServiceRequest, Condition, PHQ-9
    Observations, a GAD-7 QuestionnaireResponse and a DocumentReference with a PDF."""
    ids = {name: urn() for name in ("patient", "sr", "role", "person", "org", "cond", "phq", "gad", "doc")}
    patient: dict = {
        "resourceType": "Patient",
        "name": [{"use": "official", "given": ["Jordan"], "family": "Fhirpatient"}],
        "birthDate": "1985-04-12",
        "telecom": [
            {"system": "phone", "value": "949-555-0177"},
            {"system": "email", "value": "jordan@example.com"},
        ],
        "address": [{"state": "CA"}],
    }
    if veteran is not None:
        patient["extension"] = [
            {
                "url": "http://hl7.org/fhir/us/military-service/StructureDefinition/military-service-veteran-status",
                "valueBoolean": veteran,
            }
        ]
    if language:
        patient["communication"] = [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]}, "preferred": True}
        ]
    sr: dict = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "code": {"text": "Spravato (esketamine) evaluation"},
        "subject": {"reference": ids["patient"]},
        "requester": {"reference": ids["role"]},
        "reasonReference": [{"reference": ids["cond"]}],
        "note": [{"text": note}],
    }
    if sr_identifier:
        sr["identifier"] = [{"system": "https://ehr.example/placer", "value": sr_identifier}]
    condition_code = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": icd10}]}
    if snomed:
        condition_code["coding"].append({"system": "http://snomed.info/sct", "code": snomed})
    entries = [
        _entry(ids["patient"], patient),
        _entry(ids["sr"], sr, **({"ifNoneExist": if_none_exist} if if_none_exist else {})),
        _entry(
            ids["person"],
            {
                "resourceType": "Practitioner",
                "name": [{"given": ["Priya"], "family": "Shah", "prefix": ["Dr."]}],
                "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
            },
        ),
        _entry(ids["org"], {"resourceType": "Organization", "name": "Harbor Psychiatry"}),
        _entry(
            ids["role"],
            {
                "resourceType": "PractitionerRole",
                "practitioner": {"reference": ids["person"]},
                "organization": {"reference": ids["org"]},
                "telecom": [
                    {"system": "email", "value": REFERRER_EMAIL},
                    {"system": "phone", "value": "949-555-0100"},
                ],
            },
        ),
        _entry(
            ids["cond"],
            {
                "resourceType": "Condition",
                "subject": {"reference": ids["patient"]},
                "code": condition_code,
            },
        ),
        _entry(
            ids["phq"],
            {
                "resourceType": "Observation",
                "status": "final",
                "subject": {"reference": ids["patient"]},
                "code": {"coding": [{"system": "http://loinc.org", "code": "44249-1", "display": "PHQ-9"}]},
                "component": [
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]},
                        "valueInteger": phq9_total,
                    },
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": "44260-8"}]},
                        "valueInteger": phq9_item9,
                    },
                ],
            },
        ),
        _entry(
            ids["gad"],
            {
                "resourceType": "QuestionnaireResponse",
                "status": "completed",
                "subject": {"reference": ids["patient"]},
                "item": [{"linkId": "/70274-6", "answer": [{"valueInteger": 12}]}],
            },
        ),
    ]
    if with_pdf:
        entries.append(
            _entry(
                ids["doc"],
                {
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "subject": {"reference": ids["patient"]},
                    "content": [
                        {
                            "attachment": {
                                "contentType": "application/pdf",
                                "data": base64.b64encode(PDF).decode(),
                            }
                        }
                    ],
                },
            )
        )
    bundle: dict = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    if identifier:
        bundle["identifier"] = {"system": "https://ehr.example/bundles", "value": identifier}
    return bundle


def model_built_bundle(sr_identifier: str | None = None) -> dict:
    """A minimal referral built with fhir.resources' R4B models (what an integrator's code does)."""
    from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntryRequest
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.servicerequest import ServiceRequest

    p, s, o = urn(), urn(), urn()
    patient = Patient(
        name=[{"text": PATIENT_NAME}], telecom=[{"system": "phone", "value": "+1 714 555 0142"}]
    )
    request = ServiceRequest(
        status="active",
        intent="order",
        priority="urgent",
        subject={"reference": p},
        reasonCode=[
            {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F43.10"}], "text": "PTSD"}
        ],
        identifier=[{"system": "https://ehr.example/placer", "value": sr_identifier}]
        if sr_identifier
        else None,
    )
    total = Observation(
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "101698-9"}]},
        subject={"reference": p},
        valueInteger=52,
    )
    bundle = Bundle(
        type="transaction",
        entry=[
            BundleEntry(fullUrl=url, resource=resource, request=BundleEntryRequest(method="POST", url=kind))
            for url, resource, kind in (
                (p, patient, "Patient"),
                (s, request, "ServiceRequest"),
                (o, total, "Observation"),
            )
        ],
    )
    return json.loads(bundle.model_dump_json(exclude_none=True))


def contained_service_request(identifier: str | None = None) -> dict:
    sr: dict = {
        "resourceType": "ServiceRequest",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"text": PATIENT_NAME}],
                "telecom": [{"system": "email", "value": "jordan@example.com"}],
            },
            {
                "resourceType": "Condition",
                "id": "c1",
                "subject": {"reference": "#p1"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "47505003"}]},
            },
        ],
        "status": "active",
        "intent": "order",
        "subject": {"reference": "#p1"},
        "reasonReference": [{"reference": "#c1"}],
        "note": [{"text": "PTSD after deployment; nightmares; asking about ketamine."}],
    }
    if identifier:
        sr["identifier"] = [{"system": "https://ehr.example/placer", "value": identifier}]
    return sr


# --- SMART Backend Services: keys and assertions -----------------------------------------------


def rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP384R1())


def public_pem(private_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def assertion(
    private_key,
    client_id: str,
    audience: str,
    *,
    alg: str = "RS384",
    lifetime: int = 240,
    jti: str | None = None,
    kid: str | None = None,
    **claims: Any,
) -> str:
    import jwt

    now = int(time.time())
    body = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "exp": now + lifetime,
        "jti": jti or uuid.uuid4().hex,
    }
    body.update(claims)
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, private_key, algorithm=alg, headers=headers)


def jwks_of(private_key) -> dict:
    """The public JWKS an EHR would publish for `private_key`."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    public = private_key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        jwk["alg"] = "RS384"
    else:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        jwk["alg"] = "ES384"
    jwk["kid"] = "ehr-key-1"
    return {"keys": [jwk]}
