"""FHIR R4 referrals, pure: a Bundle (or a ServiceRequest with contained resources) checked and
mapped onto the same `Inquiry` the JSON referral makes, and the Task a referrer polls.

- `outcome.py`  issues and the OperationOutcome they become (FHIRPath of each field at fault)
- `parse.py`    one resource through fhir.resources (R4B models parse R4) plus the checks it skips
- `bundle.py`   the submission's shape: entries, references inside the Bundle, contained resources
- `mapping.py`  a checked submission → the inquiry (patient, referrer, diagnoses, urgency, veteran)
- `screeners.py` PHQ-9 / GAD-7 / PCL-5 / C-SSRS from Observations and QuestionnaireResponses
- `codes.py`    code systems, LOINC and SNOMED CT maps, urgency
- `task.py`     the Task: a projection of the referral's status trail
- `render.py`   transaction-response and searchset Bundles, ServiceRequest read-back
- `search.py`   Task search parameters
- `capability.py` the CapabilityStatement and SMART configuration
"""
