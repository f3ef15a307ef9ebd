"""The console's notes and call attempts

`lead_note` (a coordinator's note on a lead) and `call_attempt` (a call to the person and its
outcome code). The free text of both is PHI, stored encrypted (`v1:<key id>:<base64>` TEXT).

Revision ID: 0010
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "lead_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("author", String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_note_lead_id", "lead_note", ["lead_id"])
    op.create_table(
        "call_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("author", String(length=120), nullable=False),
        sa.Column("outcome", String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_attempt_lead_id", "call_attempt", ["lead_id"])
    op.create_index("ix_call_attempt_created_at", "call_attempt", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_call_attempt_created_at", table_name="call_attempt")
    op.drop_index("ix_call_attempt_lead_id", table_name="call_attempt")
    op.drop_table("call_attempt")
    op.drop_index("ix_lead_note_lead_id", table_name="lead_note")
    op.drop_table("lead_note")
