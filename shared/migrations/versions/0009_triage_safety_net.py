"""The triage safety net: possible-crisis leads, label contraindications and clinician review

- `classification`: `possible_crisis` and its reasons (codes), `contraindications` and `warnings`
  (codes) — the classifier's urgency stays as it said; routing's lane is `lead_state.urgency`.
- `lead_state`: `crisis_check` (pending / confirmed / downgraded) and `clinical_review`
  (pending / cleared / not_suitable / needs_info); NULL for leads that need neither.
- `crisis_check_decision` (one per lead) and `clinical_review_decision` (every decision): who,
  when, what, a reason code and a note encrypted as PHI.

Revision ID: 0009
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime


def upgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.add_column(
            sa.Column("possible_crisis", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("possible_crisis_reasons", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("contraindications", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("lead_state") as batch:
        batch.add_column(sa.Column("crisis_check", String(length=16), nullable=True))
        batch.add_column(sa.Column("clinical_review", String(length=16), nullable=True))
        batch.create_index("ix_lead_state_crisis_check", ["crisis_check"])
        batch.create_index("ix_lead_state_clinical_review", ["clinical_review"])
    op.create_table(
        "crisis_check_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("decision", String(length=16), nullable=False),
        sa.Column("urgency_before", String(length=16), nullable=False),
        sa.Column("urgency_after", String(length=16), nullable=False),
        sa.Column("reason", String(length=48), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id"),
    )
    op.create_table(
        "clinical_review_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("decision", String(length=16), nullable=False),
        sa.Column("reason", String(length=48), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("contraindications", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clinical_review_decision_lead_id", "clinical_review_decision", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_clinical_review_decision_lead_id", table_name="clinical_review_decision")
    op.drop_table("clinical_review_decision")
    op.drop_table("crisis_check_decision")
    with op.batch_alter_table("lead_state") as batch:
        batch.drop_index("ix_lead_state_clinical_review")
        batch.drop_index("ix_lead_state_crisis_check")
        batch.drop_column("clinical_review")
        batch.drop_column("crisis_check")
    with op.batch_alter_table("classification") as batch:
        batch.drop_column("warnings")
        batch.drop_column("contraindications")
        batch.drop_column("possible_crisis_reasons")
        batch.drop_column("possible_crisis")
