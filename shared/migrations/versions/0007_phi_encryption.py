"""PHI encrypted at rest; TOTP secrets on the PHI keys; spam review and duplicate keys on the lead;
consent rows

- `lead_contact`'s PHI columns, `classification.evidence`, a FHIR referral's ServiceRequest
  (`fhir_resource.body`) and PDF (`fhir_attachment.data`), and a break-the-glass reason become
  TEXT holding `v1:<key id>:<base64>` (AES-256-GCM, shared/crypto.py): existing rows are encrypted
  here under the active key, and decrypted again on downgrade (with whichever configured key they
  name).
- `staff_user.totp_secret` / `.totp_pending`, sealed by 0005 under a key derived from
  CAREROUTE_SECRET_KEY, are opened and encrypted under the PHI keys (key ids, `careroute keys
  rotate`); downgrade seals them the old way again. Run it with the CAREROUTE_SECRET_KEY that
  sealed them.
- `lead.spam_reason` and `lead.dedupe_hash` (the public form's spam defence and duplicate window).
- `consent`: the wording version, language and hash, time, channel and agent of each consent.
- The preferred contact method's `phone` becomes `call` (call, text, email).

Revision ID: 0007
Revises: 0006
"""

import base64
import os
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import shared.clock
from shared.crypto import decrypt, decrypt_text, encrypt, encrypt_text, is_encrypted, keyring
from shared.settings import get_settings

revision: str = "0007"
down_revision: str | None = "0006"
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
    ("fhir_resource", "id", "body", sa.JSON(), True),
    ("break_glass_grant", "id", "reason", String(length=500), False),
)
TOTP = (
    ("staff_user", "id", "totp_secret", String(length=256), True),
    ("staff_user", "id", "totp_pending", String(length=256), True),
)
ATTACHMENT = ("fhir_attachment", "id", "data")  # bytes: moved through a new column, not cast

# --- 0005's sealed TOTP secrets (shared/auth/secretbox.py, removed with this revision) -----------
_SEALED = "v1."
_PURPOSE = b"totp-secret"


def _seal_key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"careroute.secretbox.v1").derive(
        secret
    )


def _unseal(value: str, context: str) -> str:
    if not value.startswith(_SEALED):
        raise RuntimeError(f"{context}: a stored TOTP secret is in no known format")
    try:
        raw = base64.urlsafe_b64decode(value[len(_SEALED) :].encode())
        return AESGCM(_seal_key()).decrypt(raw[:12], raw[12:], _PURPOSE).decode()
    except (InvalidTag, ValueError):
        raise RuntimeError(
            f"{context}: a sealed TOTP secret does not open; run with the CAREROUTE_SECRET_KEY that sealed it"
        ) from None


def _seal(plaintext: str) -> str:
    nonce = os.urandom(12)
    return (
        _SEALED
        + base64.urlsafe_b64encode(
            nonce + AESGCM(_seal_key()).encrypt(nonce, plaintext.encode(), _PURPOSE)
        ).decode()
    )


# --- moving values ---------------------------------------------------------------------------------


def _retype(columns: tuple, to_text: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in dict.fromkeys(t for t, *_ in columns):
        with op.batch_alter_table(table) as batch:
            for name, _pk, column, before, nullable in columns:
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


def _rewrite(
    table: str,
    pk: str,
    column: str,
    convert: Callable,
    source: str | None = None,
    types: tuple[sa.types.TypeEngine, sa.types.TypeEngine] | None = None,
) -> None:
    """Every value of `source` (default: the column itself), in primary-key order and batches,
    written to `column` as `convert(value)`; values `convert` returns unchanged are left. `types`:
    (source's, column's) when they are not both text."""
    conn = op.get_bind()
    source = source or column
    source_type, column_type = types or (sa.Text(), sa.Text())
    columns = {pk: sa.column(pk), source: sa.column(source, source_type)}
    columns.setdefault(column, sa.column(column, column_type))
    rows = sa.table(table, *columns.values())
    last = None
    while True:
        query = sa.select(rows.c[pk], rows.c[source]).order_by(rows.c[pk]).limit(BATCH)
        if last is not None:
            query = query.where(rows.c[pk] > last)
        batch = conn.execute(query).all()
        if not batch:
            break
        for key, value in batch:
            if value is None:
                continue
            new = convert(value)
            if new is not value:
                conn.execute(rows.update().where(rows.c[pk] == key).values({column: new}))
        last = batch[-1][0]


def _encrypting(context: str, ring) -> Callable[[str], str]:
    return lambda value: value if is_encrypted(value) else encrypt_text(value, context, ring)


def _decrypting(context: str, ring) -> Callable[[str], str]:
    return lambda value: decrypt_text(value, context, ring) if is_encrypted(value) else value


def _swap_attachment_column(new_type: sa.types.TypeEngine) -> None:
    table, _pk, column = ATTACHMENT
    with op.batch_alter_table(table) as batch:
        batch.drop_column(column)
        batch.alter_column(f"{column}_new", new_column_name=column, existing_type=new_type, nullable=False)


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
    ring = keyring()
    _retype(ENCRYPTED + TOTP, to_text=True)  # first: an encrypted value is longer than the old limits
    for table, pk, column, _before, _nullable in ENCRYPTED:
        _rewrite(table, pk, column, _encrypting(f"{table}.{column}", ring))
    for table, pk, column, _before, _nullable in TOTP:
        context = f"{table}.{column}"
        _rewrite(
            table,
            pk,
            column,
            lambda v, c=context: v if is_encrypted(v) else encrypt_text(_unseal(v, c), c, ring),
        )
    table, pk, column = ATTACHMENT
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column(f"{column}_new", sa.Text(), nullable=True))
    context = f"{table}.{column}"
    _rewrite(
        table,
        pk,
        f"{column}_new",
        lambda v: encrypt(bytes(v), context, ring),
        column,
        (sa.LargeBinary(), sa.Text()),
    )
    _swap_attachment_column(sa.Text())


def downgrade() -> None:
    ring = keyring()
    table, pk, column = ATTACHMENT
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column(f"{column}_new", sa.LargeBinary(), nullable=True))
    context = f"{table}.{column}"
    _rewrite(
        table, pk, f"{column}_new", lambda v: decrypt(v, context, ring), column, (sa.Text(), sa.LargeBinary())
    )
    _swap_attachment_column(sa.LargeBinary())
    for table, pk, column, _before, _nullable in TOTP:
        context = f"{table}.{column}"
        _rewrite(
            table, pk, column, lambda v, c=context: _seal(decrypt_text(v, c, ring)) if is_encrypted(v) else v
        )
    for table, pk, column, _before, _nullable in ENCRYPTED:
        _rewrite(table, pk, column, _decrypting(f"{table}.{column}", ring))
    _retype(ENCRYPTED + TOTP, to_text=False)
    op.execute(
        "UPDATE lead_contact SET preferred_contact_method = 'phone' WHERE preferred_contact_method = 'call'"
    )
    op.drop_index("ix_consent_lead_id", table_name="consent")
    op.drop_table("consent")
    with op.batch_alter_table("lead") as batch:
        batch.drop_index("ix_lead_dedupe_hash")
        batch.drop_column("dedupe_hash")
        batch.drop_column("spam_reason")
