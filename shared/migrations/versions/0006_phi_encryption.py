"""PHI encrypted at rest; spam review and duplicate keys on the lead; consent rows

- `lead_contact`'s PHI columns and `classification.evidence` become TEXT holding
  `v1:<key id>:<base64>` (AES-256-GCM, shared/crypto.py): existing rows are encrypted here under
  the active key, and decrypted again on downgrade (with whichever configured key they name).
- `lead.spam_reason` and `lead.dedupe_hash` (the public form's spam defence and duplicate window).
- `consent`: the wording version, language and hash, time, channel and agent of each consent.
- The preferred contact method's `phone` becomes `call` (call, text, email).

Revision ID: 0006
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

import shared.clock
from shared.crypto import decrypt_text, encrypt_text, is_encrypted, keyring

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Stamp = shared.clock.UtcDateTime
BATCH = 500

# (table, primary key, column, type before, nullable): each value's context is "table.column".
ENCRYPTED = (
    ("lead_contact", "lead_id", "name", String(length=200), True),
    ("lead_contact", "lead_id", "phone", String(length=32), True),
    ("lead_contact", "lead_id", "email", String(length=320), True),
    ("lead_contact", "lead_id", "message", String(length=10000), False),
    ("lead_contact", "lead_id", "date_of_birth", String(length=10), True),
    ("lead_contact", "lead_id", "preferred_contact_time", String(length=100), True),
    ("lead_contact", "lead_id", "how_heard", String(length=200), True),
    ("lead_contact", "lead_id", "details", sa.JSON(), False),
    ("classification", "id", "evidence", sa.JSON(), False),
)


def _retype(to_text: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in dict.fromkeys(t for t, *_ in ENCRYPTED):
        with op.batch_alter_table(table) as batch:
            for name, _pk, column, before, nullable in ENCRYPTED:
                if name != table:
                    continue
                json_column = isinstance(before, sa.JSON)
                if to_text:
                    using = f"{column}::text" if json_column and postgres else None
                    batch.alter_column(
                        column,
                        existing_type=before,
                        type_=sa.Text(),
                        existing_nullable=nullable,
                        postgresql_using=using,
                    )
                else:
                    using = f"{column}::json" if json_column and postgres else None
                    batch.alter_column(
                        column,
                        existing_type=sa.Text(),
                        type_=before,
                        existing_nullable=nullable,
                        postgresql_using=using,
                    )


def _rewrite(encrypting: bool) -> None:
    """Every value of every encrypted column, in primary-key order and batches: encrypt plaintext
    (upgrade) or decrypt ciphertext (downgrade). Values already in the target form are left."""
    conn = op.get_bind()
    ring = keyring()
    for table, pk, column, _before, _nullable in ENCRYPTED:
        context = f"{table}.{column}"
        rows = sa.table(table, sa.column(pk), sa.column(column, sa.Text()))
        last = None
        while True:
            query = sa.select(rows.c[pk], rows.c[column]).order_by(rows.c[pk]).limit(BATCH)
            if last is not None:
                query = query.where(rows.c[pk] > last)
            batch = conn.execute(query).all()
            if not batch:
                break
            for key, value in batch:
                if value is None or is_encrypted(value) == encrypting:
                    continue
                if encrypting:
                    new = encrypt_text(value, context, ring)
                else:
                    new = decrypt_text(value, context, ring)
                conn.execute(rows.update().where(rows.c[pk] == key).values({column: new}))
            last = batch[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("lead") as batch:
        batch.add_column(sa.Column("spam_reason", String(length=32), nullable=True))
        batch.add_column(sa.Column("dedupe_hash", String(length=64), nullable=True))
        batch.create_index("ix_lead_dedupe_hash", ["dedupe_hash"])
    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", String(length=32), nullable=False),
        sa.Column("wording_version", String(length=32), nullable=False),
        sa.Column("wording_language", String(length=8), nullable=False),
        sa.Column("wording_sha256", String(length=64), nullable=False),
        sa.Column("channel", String(length=16), nullable=False),
        sa.Column("given_at", Stamp(timezone=True), nullable=False),
        sa.Column("heard_by", String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_lead_id", "consent", ["lead_id"])
    op.execute(
        "UPDATE lead_contact SET preferred_contact_method = 'call' WHERE preferred_contact_method = 'phone'"
    )
    _retype(to_text=True)  # first: an encrypted value is longer than the old VARCHAR limits
    _rewrite(encrypting=True)


def downgrade() -> None:
    _rewrite(encrypting=False)
    _retype(to_text=False)
    op.execute(
        "UPDATE lead_contact SET preferred_contact_method = 'phone' WHERE preferred_contact_method = 'call'"
    )
    op.drop_index("ix_consent_lead_id", table_name="consent")
    op.drop_table("consent")
    with op.batch_alter_table("lead") as batch:
        batch.drop_index("ix_lead_dedupe_hash")
        batch.drop_column("dedupe_hash")
        batch.drop_column("spam_reason")
