"""API keys: random, shown once, stored as a SHA-256 hash, looked up by a public prefix.

Keys carry 256 bits of randomness, so a fast hash is enough (unlike passwords). Comparison is in
constant time. Format: `cr_<prefix>_<secret>`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from uuid import UUID

from sqlmodel import Session, select

from shared.caller import Caller, CallerKind
from shared.clock import utcnow
from shared.schema import ApiKey, Role


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    session: Session,
    role: Role,
    name: str = "",
    organization: str | None = None,
    coordinator_id: UUID | None = None,
) -> tuple[ApiKey, str]:
    """A new key (its row and the plaintext, shown once). `coordinator_id`: whom a coordinator or
    supervisor key acts as."""
    prefix = secrets.token_hex(4)
    plaintext = f"cr_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        prefix=prefix,
        key_hash=_hash(plaintext),
        role=role.value,
        name=name,
        organization=organization,
        coordinator_id=coordinator_id,
    )
    session.add(row)
    return row, plaintext


def authenticate(session: Session, presented: str) -> Caller | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "cr" or len(parts[1]) != 8:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None:
        _hash(presented)  # same work either way
        return None
    if not hmac.compare_digest(row.key_hash, _hash(presented)):
        return None
    return Caller(
        kind=CallerKind.api_key,
        id=row.id,
        role=Role(row.role),
        organization=row.organization,
        coordinator_id=row.coordinator_id,
    )


def revoke_api_key(session: Session, prefix: str) -> bool:
    row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    return True
