"""`careroute keys status|rotate`: which key each encrypted value is under, and moving them all to
the active key.

Both walk every column of an encrypted type (shared/schema/encrypted.py) that the metadata knows,
so a table added later is covered without code here. Rotation reads raw stored text, decrypts with
whichever configured key a value names, re-encrypts under the active key and writes it back only
if the row still holds the value it read (a concurrent write already used the active key). Each
batch commits on its own: an interrupted run loses nothing and the next run carries on from what
is left. Values that are not yet encrypted (a row written before the migration, restored from an
old backup) are encrypted too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import shared.schema  # noqa: F401  (registers every table)
from shared.crypto import Keyring, decrypt, encrypt, key_id_of, keyring
from shared.db import get_engine
from shared.schema.encrypted import EncryptedType, encrypted_columns

PLAINTEXT = "(not encrypted)"


@dataclass
class ColumnReport:
    table: str
    column: str
    by_key: Counter = field(default_factory=Counter)
    rotated: int = 0
    changed_meanwhile: int = 0

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


def _raw(table: str, column: str) -> tuple[sa.TableClause, list[str]]:
    real = SQLModel.metadata.tables[table]
    pk = [c.name for c in real.primary_key.columns]
    raw = sa.table(table, *(sa.column(name) for name in pk), sa.column(column, sa.Text()))
    return raw, pk


def key_status() -> list[ColumnReport]:
    """How many stored values each key id holds, per encrypted column (NULLs are not counted)."""
    reports = []
    with get_engine().connect() as conn:
        for table, column, _type in encrypted_columns(SQLModel.metadata):
            report = ColumnReport(table, column)
            raw, _pk = _raw(table, column)
            values = conn.execute(sa.select(raw.c[column]).where(raw.c[column].is_not(None)))
            for (value,) in values:  # streamed: the key id is a prefix, nothing is decrypted
                report.by_key[key_id_of(value) or PLAINTEXT] += 1
            reports.append(report)
    return reports


def rotate(batch_size: int = 500, max_batches: int | None = None) -> list[ColumnReport]:
    """Re-encrypt every value not under the active key. Returns what moved, per column."""
    ring = keyring()
    reports = []
    batches = 0
    for table, column, column_type in encrypted_columns(SQLModel.metadata):
        report = ColumnReport(table, column)
        reports.append(report)
        raw, pk = _raw(table, column)
        order = [raw.c[name] for name in pk]
        last: tuple | None = None
        while max_batches is None or batches < max_batches:
            query = sa.select(*order, raw.c[column]).where(raw.c[column].is_not(None))
            if last is not None:
                query = query.where(sa.tuple_(*order) > sa.tuple_(*last))
            with get_engine().begin() as conn:
                rows = conn.execute(query.order_by(*order).limit(batch_size)).all()
                if not rows:
                    break
                batches += 1
                for row in rows:
                    _rotate_one(conn, raw, pk, column, column_type, row, ring, report)
            last = tuple(rows[-1][: len(pk)])
    return reports


def _rotate_one(
    conn: Connection,
    raw: sa.TableClause,
    pk: list[str],
    column: str,
    column_type: EncryptedType,
    row: sa.Row,
    ring: Keyring,
    report: ColumnReport,
) -> None:
    stored = row[len(pk)]
    key_id = key_id_of(stored)
    report.by_key[key_id or PLAINTEXT] += 1
    if key_id == ring.active_id:
        return
    context = column_type.context
    if key_id is None:  # plaintext left from before encryption: encrypt what is there
        plain = stored.encode("utf-8")
    else:
        plain = decrypt(stored, context, ring)
    fresh = encrypt(plain, context, ring)
    match = [raw.c[name] == row[i] for i, name in enumerate(pk)]
    result = conn.execute(raw.update().where(*match, raw.c[column] == stored).values({column: fresh}))
    if result.rowcount == 1:
        report.rotated += 1
    else:
        report.changed_meanwhile += 1  # written meanwhile, under the active key
