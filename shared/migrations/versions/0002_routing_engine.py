"""routing engine: directory, schedules, rules, SLA deadlines, repeat contacts

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock  # noqa: F401

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime


def upgrade() -> None:
    # batch_alter_table: SQLite cannot add constraints in place; alembic recreates the table there.
    with op.batch_alter_table("coordinator") as batch:
        batch.add_column(sa.Column("role", String(length=24), nullable=False, server_default="coordinator"))
        batch.add_column(sa.Column("regions", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("working_hours", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("holidays", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("out_of_office", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("max_new_per_day", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("weight", sa.Float(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("supervisor_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("backup_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("consecutive_timeouts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_assigned_at", Stamp(timezone=True), nullable=True))

    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("coordinator_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("region", String(length=16), nullable=True))
        batch.add_column(sa.Column("phone_hash", String(length=64), nullable=True))
        batch.add_column(sa.Column("email_hash", String(length=64), nullable=True))
        batch.add_column(sa.Column("repeat_of_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("route_after", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_reason", String(length=200), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", Stamp(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalation_step", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("outcome_reason", String(length=64), nullable=True))
        batch.add_column(sa.Column("alternative", sa.JSON(), nullable=True))
        batch.create_foreign_key("fk_lead_coordinator_id", "coordinator", ["coordinator_id"], ["id"])
        batch.create_index("ix_lead_coordinator_id", ["coordinator_id"])
        batch.create_index("ix_lead_phone_hash", ["phone_hash"])
        batch.create_index("ix_lead_email_hash", ["email_hash"])
        batch.create_index("ix_lead_repeat_of_id", ["repeat_of_id"])
        batch.create_index("ix_lead_route_after", ["route_after"])

    with op.batch_alter_table("assignment") as batch:
        batch.add_column(sa.Column("kind", String(length=16), nullable=False, server_default="route"))
        batch.add_column(sa.Column("rule_name", String(length=64), nullable=True))
        batch.add_column(sa.Column("rule_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("explanation", sa.JSON(), nullable=True))

    op.create_table(
        "routing_ruleset",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_table(
        "oncall_layer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rotation_start", Stamp(timezone=True), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("timezone", String(length=64), nullable=False),
        sa.Column("restrict_days", sa.JSON(), nullable=False),
        sa.Column("restrict_start", String(length=5), nullable=True),
        sa.Column("restrict_end", String(length=5), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "oncall_override",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", Stamp(timezone=True), nullable=False),
        sa.Column("ends_at", Stamp(timezone=True), nullable=False),
        sa.Column("reason", String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sla_deadline",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("kind", String(length=24), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", Stamp(timezone=True), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("fired_at", Stamp(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id", "kind", "step", name="uq_sla_deadline_lead_kind_step"),
    )
    op.create_index("ix_sla_deadline_lead_id", "sla_deadline", ["lead_id"])
    op.create_index("ix_sla_deadline_due_at", "sla_deadline", ["due_at"])
    op.create_index("ix_sla_deadline_status", "sla_deadline", ["status"])
    op.create_table(
        "escalation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("kind", String(length=24), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", String(length=16), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.Column("cause", String(length=32), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id", "kind", "step", name="uq_escalation_lead_kind_step"),
    )
    op.create_index("ix_escalation_lead_id", "escalation", ["lead_id"])
    op.create_table(
        "reviewer_copy",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("lead_id", "coordinator_id"),
    )
    op.create_table(
        "routing_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", String(length=32), nullable=False),
        sa.Column("dedup_key", String(length=200), nullable=False),
        sa.Column("severity", String(length=16), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("raised_at", Stamp(timezone=True), nullable=False),
        sa.Column("resolved_at", Stamp(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "dedup_key", name="uq_routing_alert_kind_key"),
    )
    op.create_table(
        "coordinator_key",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"]),
        sa.PrimaryKeyConstraint("api_key_id"),
    )
    op.create_index("ix_coordinator_key_coordinator_id", "coordinator_key", ["coordinator_id"])


def downgrade() -> None:
    op.drop_index("ix_coordinator_key_coordinator_id", table_name="coordinator_key")
    op.drop_table("coordinator_key")
    op.drop_table("routing_alert")
    op.drop_table("reviewer_copy")
    op.drop_index("ix_escalation_lead_id", table_name="escalation")
    op.drop_table("escalation")
    op.drop_index("ix_sla_deadline_status", table_name="sla_deadline")
    op.drop_index("ix_sla_deadline_due_at", table_name="sla_deadline")
    op.drop_index("ix_sla_deadline_lead_id", table_name="sla_deadline")
    op.drop_table("sla_deadline")
    op.drop_table("oncall_override")
    op.drop_table("oncall_layer")
    op.drop_table("routing_ruleset")
    with op.batch_alter_table("assignment") as batch:
        for name in ("explanation", "rule_version", "rule_name", "kind"):
            batch.drop_column(name)
    with op.batch_alter_table("lead") as batch:
        for index in (
            "ix_lead_route_after",
            "ix_lead_repeat_of_id",
            "ix_lead_email_hash",
            "ix_lead_phone_hash",
            "ix_lead_coordinator_id",
        ):
            batch.drop_index(index)
        batch.drop_constraint("fk_lead_coordinator_id", type_="foreignkey")
        for name in (
            "alternative",
            "outcome_reason",
            "escalation_step",
            "acknowledged_at",
            "waiting_reason",
            "route_after",
            "repeat_of_id",
            "email_hash",
            "phone_hash",
            "region",
            "coordinator_id",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("coordinator") as batch:
        for name in (
            "last_assigned_at",
            "consecutive_timeouts",
            "paused",
            "backup_id",
            "supervisor_id",
            "weight",
            "max_new_per_day",
            "out_of_office",
            "holidays",
            "working_hours",
            "regions",
            "role",
        ):
            batch.drop_column(name)
