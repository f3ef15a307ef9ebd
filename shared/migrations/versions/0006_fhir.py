"""FHIR referrals and SMART Backend Services clients

Intake's FHIR tables (a referral's FHIR ids, identifiers for idempotency, the submitted
ServiceRequest and PDF attachments) and the platform's SMART client registry with the client
assertion ids already used.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "fhir_referral",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("organization", String(length=120), nullable=False),
        sa.Column("submitted_by", String(length=80), nullable=False),
        sa.Column("request_hash", String(length=64), nullable=False),
        sa.Column("service_request_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("priority", String(length=16), nullable=True),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id"),
        sa.UniqueConstraint("service_request_id"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_index("ix_fhir_referral_organization", "fhir_referral", ["organization"])
    op.create_index("ix_fhir_referral_created_at", "fhir_referral", ["created_at"])
    op.create_table(
        "fhir_resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("resource_type", String(length=40), nullable=False),
        sa.Column("entry_index", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["fhir_referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fhir_resource_referral_id", "fhir_resource", ["referral_id"])
    op.create_table(
        "fhir_identifier",
        sa.Column("organization", String(length=120), nullable=False),
        sa.Column("kind", String(length=24), nullable=False),
        sa.Column("system", String(length=255), nullable=False),
        sa.Column("value", String(length=255), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["fhir_referral.id"]),
        sa.PrimaryKeyConstraint("organization", "kind", "system", "value"),
    )
    op.create_index("ix_fhir_identifier_referral_id", "fhir_identifier", ["referral_id"])
    op.create_table(
        "fhir_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("content_type", String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["fhir_referral.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fhir_attachment_referral_id", "fhir_attachment", ["referral_id"])
    op.create_table(
        "smart_client",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", String(length=64), nullable=False),
        sa.Column("name", String(length=120), nullable=False),
        sa.Column("organization", String(length=120), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.Column("revoked_at", Stamp(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_smart_client_client_id", "smart_client", ["client_id"], unique=True)
    op.create_table(
        "smart_assertion_jti",
        sa.Column("client_id", String(length=64), nullable=False),
        sa.Column("jti", String(length=255), nullable=False),
        sa.Column("expires_at", Stamp(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti"),
    )
    op.create_index("ix_smart_assertion_jti_expires_at", "smart_assertion_jti", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_smart_assertion_jti_expires_at", table_name="smart_assertion_jti")
    op.drop_table("smart_assertion_jti")
    op.drop_index("ix_smart_client_client_id", table_name="smart_client")
    op.drop_table("smart_client")
    op.drop_index("ix_fhir_attachment_referral_id", table_name="fhir_attachment")
    op.drop_table("fhir_attachment")
    op.drop_index("ix_fhir_identifier_referral_id", table_name="fhir_identifier")
    op.drop_table("fhir_identifier")
    op.drop_index("ix_fhir_resource_referral_id", table_name="fhir_resource")
    op.drop_table("fhir_resource")
    op.drop_index("ix_fhir_referral_created_at", table_name="fhir_referral")
    op.drop_index("ix_fhir_referral_organization", table_name="fhir_referral")
    op.drop_table("fhir_referral")
