"""FHIR R4 at /fhir/r4 (docs/fhir.md): routes.py (metadata, referrals, ServiceRequest and Task
reads and searches), auth.py (SMART Backend Services token and configuration), negotiation.py
(application/fhir+json in and out), outcome.py (every error as an OperationOutcome)."""
