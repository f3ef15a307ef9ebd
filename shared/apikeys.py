"""API keys: random, shown once, stored as a SHA-256 hash, looked up by a public prefix.

Keys carry 256 bits of randomness, so a fast hash is enough (unlike passwords). Comparison is in
constant time. Format: `cr_<prefix>_<secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlmodel import Session, select

from shared.clock import utcnow
from shared.models import ApiKey, Role


@dataclass(frozen=True)
class Principal:
    key_id: UUID | None  # None for the public web form
    role: str | None
    organization: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}" if self.key_id else "public"


PUBLIC = Principal(key_id=None, role=None)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session, role: Role, name: str = "", organization: str | None = None
) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(4)
    plaintext = f"cr_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(prefix=prefix, key_hash=_hash(plaintext), role=role.value, name=name,
                 organization=organization)
    session.add(row)
    return row, plaintext


def authenticate(session: Session, presented: str) -> Principal | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "cr" or len(parts[1]) != 8:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None:
        _hash(presented)  # same work either way
        return None
    if not hmac.compare_digest(row.key_hash, _hash(presented)):
        return None
    return Principal(key_id=row.id, role=row.role, organization=row.organization)


def revoke_api_key(session: Session, prefix: str) -> bool:
    row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    return True
