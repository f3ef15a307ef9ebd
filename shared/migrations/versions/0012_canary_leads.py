"""Canary leads

`lead.canary`: a synthetic lead the scheduler sends through the whole pipeline every minute to a
canary recipient whose email goes to a sink (shared/canary.py). Real leads are false; every queue,
count and figure a person sees leaves canaries out. The index finds the latest canary fast.

Revision ID: 0012
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canary", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_lead_canary_created_at", ["canary", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_canary_created_at")
        batch_op.drop_column("canary")
