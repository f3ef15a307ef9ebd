"""identity: staff accounts, sessions, sign-in attempts, break-the-glass grants; read scopes

Platform tables for named staff accounts (Argon2id passwords, sealed TOTP secrets), server-side
sessions (only a hash of the cookie's token), sign-in attempts (lockout) and break-the-glass grants.
`lead.submitted_by_user_id` names the signed-in agent who logged a call; `lead_state.candidate_ids`
keeps the coordinators a routing decision considered (a pool's members may read its leads).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", String(length=320), nullable=False),
        sa.Column("display_name", String(length=120), nullable=False),
        sa.Column("role", String(length=16), nullable=False),
        sa.Column("coordinator_id", sa.Uuid(), nullable=True),
        sa.Column("organization", String(length=120), nullable=True),
        sa.Column("password_hash", String(length=256), nullable=False),
        sa.Column("totp_secret", String(length=256), nullable=True),
        sa.Column("totp_pending", String(length=256), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.Column("password_changed_at", Stamp(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", Stamp(timezone=True), nullable=True),
        sa.Column("disabled_at", Stamp(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["coordinator_id"], ["coordinator.id"], name="fk_staff_user_coordinator_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_user_email", "staff_user", ["email"], unique=True)
    op.create_index("ix_staff_user_coordinator_id", "staff_user", ["coordinator_id"])

    op.create_table(
        "staff_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("stage", String(length=16), nullable=False),
        sa.Column("next_path", String(length=500), nullable=True),
        sa.Column("created_at", Stamp(timezone=True), nullable=False),
        sa.Column("last_seen_at", Stamp(timezone=True), nullable=False),
        sa.Column("expires_at", Stamp(timezone=True), nullable=False),
        sa.Column("client_ip", String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name="fk_staff_session_user_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_session_token_hash", "staff_session", ["token_hash"], unique=True)
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", Stamp(timezone=True), nullable=False),
        sa.Column("account_key", String(length=64), nullable=False),
        sa.Column("client_ip", String(length=64), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    op.create_index("ix_login_attempt_account_key", "login_attempt", ["account_key"])
    op.create_index("ix_login_attempt_client_ip", "login_attempt", ["client_ip"])

    op.create_table(
        "break_glass_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("actor", String(length=80), nullable=False),
        sa.Column("reason", String(length=500), nullable=False),
        sa.Column("granted_at", Stamp(timezone=True), nullable=False),
        sa.Column("expires_at", Stamp(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name="fk_break_glass_grant_lead_id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_break_glass_grant_lead_id", "break_glass_grant", ["lead_id"])
    op.create_index("ix_break_glass_grant_actor", "break_glass_grant", ["actor"])

    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("submitted_by_user_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_lead_submitted_by_user_id", "staff_user", ["submitted_by_user_id"], ["id"]
        )
        batch.create_index("ix_lead_submitted_by_user_id", ["submitted_by_user_id"])
    with op.batch_alter_table("lead_state") as batch:
        batch.add_column(sa.Column("candidate_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lead_state") as batch:
        batch.drop_column("candidate_ids")
    with op.batch_alter_table("lead") as batch:
        batch.drop_index("ix_lead_submitted_by_user_id")
        if op.get_bind().dialect.name != "sqlite":  # SQLite's table copy drops it with the column
            batch.drop_constraint("fk_lead_submitted_by_user_id", type_="foreignkey")
        batch.drop_column("submitted_by_user_id")
    op.drop_index("ix_break_glass_grant_actor", table_name="break_glass_grant")
    op.drop_index("ix_break_glass_grant_lead_id", table_name="break_glass_grant")
    op.drop_table("break_glass_grant")
    for index in ("ix_login_attempt_client_ip", "ix_login_attempt_account_key", "ix_login_attempt_at"):
        op.drop_index(index, table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_index("ix_staff_session_token_hash", table_name="staff_session")
    op.drop_table("staff_session")
    op.drop_index("ix_staff_user_coordinator_id", table_name="staff_user")
    op.drop_index("ix_staff_user_email", table_name="staff_user")
    op.drop_table("staff_user")
