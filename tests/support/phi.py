"""Looking for PHI where it must not be: every table's rows as the database stores them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

import shared.schema  # noqa: F401  (registers every table)
from shared.db import get_engine


def raw_database_text() -> str:
    """Every row of every table, as PostgreSQL renders the stored row (plain SQL, no ORM types)."""
    parts = []
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.tables:
            for (row,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                parts.append(row)
    return "\n".join(parts)


def sqlite_files_bytes(database: Path) -> bytes:
    """The SQLite file and its write-ahead log (and shared-memory index), byte for byte."""
    blobs = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{database}{suffix}")
        if path.exists():
            blobs.append(path.read_bytes())
    return b"".join(blobs)


def find_plaintext(haystack: str | bytes, needles: tuple[str, ...]) -> list[str]:
    """The needles found in the haystack (bytes are searched as UTF-8 and as UTF-16, as SQLite may store)."""
    if isinstance(haystack, str):
        return [n for n in needles if n in haystack]
    return [n for n in needles if n.encode() in haystack or n.encode("utf-16-le") in haystack]
