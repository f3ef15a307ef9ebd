"""Intake's FHIR tables: what a FHIR referral was submitted as, so an EHR can read it back, find
its Task, and resubmit safely.

`fhir_referral` ties one lead to its ServiceRequest, Patient and Task ids; `fhir_resource` keeps the
server id given to every submitted resource (and the ServiceRequest's JSON, for read-back);
`fhir_identifier` makes a Bundle or ServiceRequest identifier idempotent per organization;
`fhir_attachment` keeps a DocumentReference's PDF. The Task's status and version are not stored:
they are a projection of the referral's status trail (services/intake/domain/fhir/task.py).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema.encrypted import EncryptedJSON, encrypted_bytes


class FhirReferral(SQLModel, table=True):
    __tablename__ = "fhir_referral"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    lead_id: UUID = Field(foreign_key="lead.id", unique=True)
    organization: str = Field(max_length=120, index=True)  # the submitter's, from its credentials
    submitted_by: str = Field(max_length=80)  # the caller's actor: "key:<id>" or "smart:<id>"
    request_hash: str = Field(max_length=64)  # SHA-256 of the canonical body: a replay must match
    service_request_id: UUID = Field(unique=True)
    patient_id: UUID | None = None
    task_id: UUID = Field(default_factory=uuid4, unique=True)
    priority: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


class FhirResource(SQLModel, table=True):
    """A resource we accepted, by the id we gave it. Only the ServiceRequest keeps its body (PHI,
    encrypted at rest)."""

    __tablename__ = "fhir_resource"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    referral_id: UUID = Field(foreign_key="fhir_referral.id", index=True)
    resource_type: str = Field(max_length=40)
    entry_index: int | None = None  # its place in the submitted Bundle (None: the ServiceRequest POST)
    body: dict | None = Field(
        default=None, sa_column=Column(EncryptedJSON("fhir_resource.body"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class FhirIdentifier(SQLModel, table=True):
    """A Bundle or ServiceRequest identifier, once per organization: the same one never makes a
    second lead."""

    __tablename__ = "fhir_identifier"

    organization: str = Field(max_length=120, primary_key=True)
    kind: str = Field(max_length=24, primary_key=True)  # "Bundle" or "ServiceRequest"
    system: str = Field(max_length=255, primary_key=True)  # "" when the identifier has none
    value: str = Field(max_length=255, primary_key=True)
    referral_id: UUID = Field(foreign_key="fhir_referral.id", index=True)


class FhirAttachment(SQLModel, table=True):
    """A DocumentReference's PDF (PHI: encrypted at rest, shared/schema/encrypted.py)."""

    __tablename__ = "fhir_attachment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    referral_id: UUID = Field(foreign_key="fhir_referral.id", index=True)
    resource_id: UUID  # the DocumentReference it came in (fhir_resource.id)
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = encrypted_bytes("fhir_attachment.data", nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
