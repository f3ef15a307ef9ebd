"""Referral form attachments

`referral_attachment`: the PDFs a provider attaches on the referral form (/refer), owned by
intake. The file and its name are PHI, stored encrypted (TEXT holding `v1:<key id>:<base64>`, as
0007 made every PHI column).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "referral_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        sa.Column("content_type", String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("sha256", String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", shared.clock.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_referral_attachment_lead_id", "referral_attachment", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_referral_attachment_lead_id", table_name="referral_attachment")
    op.drop_table("referral_attachment")
