"""What the server says it does: the CapabilityStatement (exactly what is implemented) and the
SMART configuration. Both are built from the URLs the deployment is reached at."""

from __future__ import annotations

from services.intake.domain.fhir.bundle import ACCEPTED

SCOPES = [
    "system/ServiceRequest.cr",
    "system/Task.rs",
    "system/ServiceRequest.read",
    "system/ServiceRequest.write",
    "system/Task.read",
]
_CARRIED = sorted(ACCEPTED - {"ServiceRequest"})


def capability_statement(base: str, token_url: str, software_version: str, released: str) -> dict:
    task_params = [
        {"name": "focus", "type": "reference", "documentation": "ServiceRequest/{id}"},
        {"name": "based-on", "type": "reference", "documentation": "ServiceRequest/{id}"},
        {"name": "status", "type": "token"},
        {"name": "_lastUpdated", "type": "date", "documentation": "gt, ge, lt and le prefixes"},
        {"name": "_count", "type": "number", "documentation": "1 to 100 (default 50); `next` links page on"},
    ]
    resources = [
        {
            "type": "ServiceRequest",
            "interaction": [{"code": "create"}, {"code": "read"}],
            "versioning": "versioned",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": True,
            "documentation": (
                "A referral. POST with the Patient (and the rest) contained, or inside a transaction "
                "Bundle. If-None-Exist: identifier=system|value is honoured; a ServiceRequest or Bundle "
                "identifier already used returns the original resources."
            ),
        },
        {
            "type": "Task",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "versioned",
            "readHistory": False,
            "searchParam": task_params,
            "documentation": (
                "One per referral, owned by the clinic, focus and basedOn the ServiceRequest: requested, "
                "received, accepted or rejected (statusReason; the alternative offered as output), "
                "in-progress, completed. Only the caller's organization's Tasks."
            ),
        },
        *(
            {
                "type": kind,
                "documentation": "Accepted inside a transaction Bundle or contained in a ServiceRequest; not read back.",
            }
            for kind in _CARRIED
        ),
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": released,
        "publisher": "CareRoute",
        "kind": "instance",
        "software": {"name": "CareRoute", "version": software_version},
        "implementation": {"description": "CareRoute FHIR R4 referral intake", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Referrals in, Task status out (closed-loop referral). JSON only.",
                "security": {
                    "cors": False,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": (
                        "SMART Backend Services (client_credentials with a private_key_jwt assertion, RS384 or "
                        "ES384), or a CareRoute provider API key, as Authorization: Bearer."
                    ),
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}],
            }
        ],
    }


def smart_configuration(token_url: str) -> dict:
    return {
        "token_endpoint": token_url,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
        "scopes_supported": SCOPES,
        "capabilities": ["client-confidential-asymmetric"],
    }
