"""notify delivery: delivery events, referrer messages, send metrics

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock  # noqa: F401

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_COLUMNS = (
    ("subject_key", lambda: sqlmodel.sql.sqltypes.AutoString(length=80)),
    ("coordinator_id", sa.Uuid),
    ("urgency", lambda: sqlmodel.sql.sqltypes.AutoString(length=16)),
    ("backend", lambda: sqlmodel.sql.sqltypes.AutoString(length=16)),
    ("triggered_at", lambda: shared.clock.UtcDateTime(timezone=True)),
    ("accept_seconds", sa.Float),
    ("last_event_at", lambda: shared.clock.UtcDateTime(timezone=True)),
    ("failure_reported_at", lambda: shared.clock.UtcDateTime(timezone=True)),
    ("overdue_at", lambda: shared.clock.UtcDateTime(timezone=True)),
)


def upgrade() -> None:
    # batch_alter_table: plain ALTERs on PostgreSQL, a table copy on SQLite.
    with op.batch_alter_table("notification", schema=None) as batch_op:
        for name, type_ in _NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, type_(), nullable=True))
        # Alerts and digests are about no single lead.
        batch_op.alter_column("lead_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            "fk_notification_coordinator_id", "coordinator", ["coordinator_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            "uq_notification_subject_once", ["subject_key", "recipient", "kind"]
        )
        # The reconciler's scan: sent rows by age.
        batch_op.create_index("ix_notification_status_sent_at", ["status", "sent_at"], unique=False)

    op.create_table(
        "delivery_event",
        sa.Column("sg_event_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("reason_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("occurred_at", shared.clock.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", shared.clock.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"]),
        sa.PrimaryKeyConstraint("sg_event_id"),
    )
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_event_notification_id"), ["notification_id"], unique=False
        )

    op.create_table(
        "referral_update",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("occurred_at", shared.clock.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("lead_id", "status"),
    )


def downgrade() -> None:
    op.drop_table("referral_update")
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_event_notification_id"))
    op.drop_table("delivery_event")
    # Notices about no lead cannot exist in the old schema.
    op.execute("DELETE FROM notification WHERE lead_id IS NULL")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_sent_at")
        batch_op.drop_constraint("uq_notification_subject_once", type_="unique")
        batch_op.drop_constraint("fk_notification_coordinator_id", type_="foreignkey")
        batch_op.alter_column("lead_id", existing_type=sa.Uuid(), nullable=False)
        for name, _type in reversed(_NEW_COLUMNS):
            batch_op.drop_column(name)
