"""table owners: routing's lead_state leaves intake's lead; keys name their coordinator

Every table gets one writing service. What routing decides about a lead (status, urgency, owner,
counters, waiting, outcome) moves from `lead` into routing's new `lead_state` (one row per lead,
data copied). The coordinator a key acts as moves from routing's `coordinator_key` into
`api_key.coordinator_id`, so a caller is resolved in one place.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime

# Columns that move from lead to lead_state, in both tables' order.
MOVED = (
    "status",
    "urgency",
    "coordinator_id",
    "classify_attempts",
    "dispatch_count",
    "status_changed_at",
    "last_dispatched_at",
    "repeat_of_id",
    "route_after",
    "waiting_reason",
    "acknowledged_at",
    "escalation_step",
    "outcome_reason",
    "alternative",
)
# Indexes on the moved columns: (name on lead, name on lead_state, column).
MOVED_INDEXES = (
    ("ix_lead_status", "ix_lead_state_status", "status"),
    ("ix_lead_status_changed_at", "ix_lead_state_status_changed_at", "status_changed_at"),
    ("ix_lead_coordinator_id", "ix_lead_state_coordinator_id", "coordinator_id"),
    ("ix_lead_repeat_of_id", "ix_lead_state_repeat_of_id", "repeat_of_id"),
    ("ix_lead_route_after", "ix_lead_state_route_after", "route_after"),
)


def upgrade() -> None:
    op.create_table(
        "lead_state",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("status", String(length=24), nullable=False),
        sa.Column("urgency", String(length=16), nullable=True),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("classify_attempts", sa.Integer(), nullable=False),
        sa.Column("dispatch_count", sa.Integer(), nullable=False),
        sa.Column("status_changed_at", Stamp(timezone=True), nullable=False),
        sa.Column("last_dispatched_at", Stamp(timezone=True), nullable=True),
        sa.Column("repeat_of_id", sa.Uuid(), nullable=True),
        sa.Column("route_after", Stamp(timezone=True), nullable=True),
        sa.Column("waiting_reason", String(length=200), nullable=True),
        sa.Column("acknowledged_at", Stamp(timezone=True), nullable=True),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.Column("outcome_reason", String(length=64), nullable=True),
        sa.Column("alternative", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    for _old, new, column in MOVED_INDEXES:
        op.create_index(new, "lead_state", [column])
    columns = ", ".join(MOVED)
    op.execute(f"INSERT INTO lead_state (lead_id, {columns}) SELECT id, {columns} FROM lead")
    for old, _new, _column in MOVED_INDEXES:
        op.drop_index(old, table_name="lead")
    with op.batch_alter_table("lead") as batch:
        if op.get_bind().dialect.name != "sqlite":  # SQLite's table copy drops it with the column
            batch.drop_constraint("fk_lead_coordinator_id", type_="foreignkey")
        for column in MOVED:
            batch.drop_column(column)

    with op.batch_alter_table("api_key") as batch:
        batch.add_column(sa.Column("coordinator_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_api_key_coordinator_id", "coordinator", ["coordinator_id"], ["id"])
        batch.create_index("ix_api_key_coordinator_id", ["coordinator_id"])
    op.execute(
        "UPDATE api_key SET coordinator_id = "
        "(SELECT coordinator_id FROM coordinator_key WHERE coordinator_key.api_key_id = api_key.id)"
    )
    op.drop_index("ix_coordinator_key_coordinator_id", table_name="coordinator_key")
    op.drop_table("coordinator_key")


def downgrade() -> None:
    op.create_table(
        "coordinator_key",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("api_key_id"),
    )
    op.create_index("ix_coordinator_key_coordinator_id", "coordinator_key", ["coordinator_id"])
    op.execute(
        "INSERT INTO coordinator_key (api_key_id, coordinator_id) "
        "SELECT id, coordinator_id FROM api_key WHERE coordinator_id IS NOT NULL"
    )
    with op.batch_alter_table("api_key") as batch:
        batch.drop_index("ix_api_key_coordinator_id")
        if op.get_bind().dialect.name != "sqlite":
            batch.drop_constraint("fk_api_key_coordinator_id", type_="foreignkey")
        batch.drop_column("coordinator_id")

    # Back onto lead: nullable first, filled from lead_state (received where routing never wrote).
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("status", String(length=24), nullable=True))
        batch.add_column(sa.Column("urgency", String(length=16), nullable=True))
        batch.add_column(sa.Column("coordinator_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("classify_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("dispatch_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("status_changed_at", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_dispatched_at", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("repeat_of_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("route_after", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_reason", String(length=200), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalation_step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome_reason", String(length=64), nullable=True))
        batch.add_column(sa.Column("alternative", sa.JSON(), nullable=True))
    for column in MOVED:
        op.execute(
            f"UPDATE lead SET {column} = (SELECT s.{column} FROM lead_state s WHERE s.lead_id = lead.id) "
            "WHERE EXISTS (SELECT 1 FROM lead_state s WHERE s.lead_id = lead.id)"
        )
    op.execute("UPDATE lead SET status = 'received' WHERE status IS NULL")
    op.execute("UPDATE lead SET status_changed_at = created_at WHERE status_changed_at IS NULL")
    with op.batch_alter_table("lead") as batch:
        batch.alter_column("status", existing_type=String(length=24), nullable=False)
        batch.alter_column("status_changed_at", existing_type=Stamp(timezone=True), nullable=False)
        batch.create_foreign_key("fk_lead_coordinator_id", "coordinator", ["coordinator_id"], ["id"])
    for old, new, column in MOVED_INDEXES:
        op.drop_index(new, table_name="lead_state")
        op.create_index(old, "lead", [column])
    op.drop_table("lead_state")
