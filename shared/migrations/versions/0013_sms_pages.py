"""SMS pages: the on-call person's pager phone and a channel and reply code per notice

`coordinator.pager_phone` (E.164; a staff phone from the directory, never a patient's);
`notification.channel` (email | sms: an SMS page is its own notification row, with its own send
guard) and `notification.ack_code` (the digits the person texts back to acknowledge).

Revision ID: 0013
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pager_phone", String(length=32), nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", String(length=8), nullable=False, server_default="email"))
        batch_op.add_column(sa.Column("ack_code", String(length=12), nullable=True))
        batch_op.create_index("ix_notification_ack_code", ["ack_code"], unique=False)
        batch_op.create_index("ix_notification_provider_message_id", ["provider_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_provider_message_id")
        batch_op.drop_index("ix_notification_ack_code")
        batch_op.drop_column("ack_code")
        batch_op.drop_column("channel")
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.drop_column("pager_phone")
