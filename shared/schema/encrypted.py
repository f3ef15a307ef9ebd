"""Column types that encrypt PHI at rest (shared/crypto.py): use them for every PHI column.

    name: str | None = encrypted_text("lead_contact.name")
    details: dict = encrypted_json_dict("lead_contact.details")
    body: bytes | None = encrypted_bytes("attachment.body")

The context string is `<table>.<column>`: it is bound into each value (AES-GCM associated data),
so a value moved to another column fails to decrypt. Code reads and writes plain Python values;
the database holds `v1:<key id>:<base64>` text. Values are randomised (a new nonce each write), so
an encrypted column cannot be searched or compared in SQL: match people on keyed hashes instead
(`lead.phone_hash`). `careroute keys rotate` finds every column of these types through the
metadata, so a new table that uses them is rotated without further code.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from shared.crypto import decrypt, decrypt_text, encrypt, encrypt_text


class EncryptedType(TypeDecorator):
    """Base of the encrypted column types: TEXT in the database, `context` names the column."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def to_plain(self, stored: str) -> Any:  # stored text → Python value
        raise NotImplementedError

    def to_stored(self, value: Any) -> str:  # Python value → stored text
        raise NotImplementedError

    def process_bind_param(self, value, dialect):
        return None if value is None else self.to_stored(value)

    def process_result_value(self, value, dialect):
        return None if value is None else self.to_plain(value)


class EncryptedText(EncryptedType):
    cache_ok = True  # not inherited: each type says its `context` is a safe cache key

    def to_stored(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.context} takes text")
        return encrypt_text(value, self.context)

    def to_plain(self, stored: str) -> str:
        return decrypt_text(stored, self.context)


class EncryptedJSON(EncryptedType):
    cache_ok = True  # not inherited: each type says its `context` is a safe cache key

    def to_stored(self, value: Any) -> str:
        return encrypt_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")), self.context)

    def to_plain(self, stored: str) -> Any:
        return json.loads(decrypt_text(stored, self.context))


class EncryptedBytes(EncryptedType):
    """For attachments: the bytes are encrypted, the stored text is the usual format."""

    cache_ok = True

    def to_stored(self, value: Any) -> str:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"{self.context} takes bytes")
        return encrypt(bytes(value), self.context)

    def to_plain(self, stored: str) -> bytes:
        return decrypt(stored, self.context)


def encrypted_text(context: str, *, nullable: bool = True, default: Any = None) -> Any:
    return Field(default=default, sa_column=Column(EncryptedText(context), nullable=nullable))


def encrypted_json_dict(context: str) -> Any:
    return Field(default_factory=dict, sa_column=Column(EncryptedJSON(context), nullable=False))


def encrypted_json_list(context: str) -> Any:
    return Field(default_factory=list, sa_column=Column(EncryptedJSON(context), nullable=False))


def encrypted_bytes(context: str, *, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(EncryptedBytes(context), nullable=nullable))


def encrypted_columns(metadata) -> list[tuple[str, str, EncryptedType]]:
    """(table, column, type) for every encrypted column the metadata knows, in a stable order."""
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if isinstance(column.type, EncryptedType):
                found.append((table.name, column.name, column.type))
    return found


__all__ = [
    "EncryptedBytes",
    "EncryptedJSON",
    "EncryptedText",
    "EncryptedType",
    "encrypted_bytes",
    "encrypted_columns",
    "encrypted_json_dict",
    "encrypted_json_list",
    "encrypted_text",
]
