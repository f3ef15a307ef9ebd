"""Registering SMART Backend Services clients (`careroute fhir client create|list|revoke`)."""

from __future__ import annotations

import secrets

from sqlmodel import Session, select

from shared.clock import utcnow
from shared.schema import SmartClient


def create_client(session: Session, name: str, organization: str, jwks: dict) -> SmartClient:
    """A new client with its public keys (shared/smart/keys.py checked them). The client_id is
    random: the EHR puts it in its assertions' iss and sub."""
    if not name.strip() or not organization.strip():
        raise ValueError("name and organization are required")
    client = SmartClient(
        client_id=f"crc_{secrets.token_urlsafe(18)}",
        name=name.strip()[:120],
        organization=organization.strip()[:120],
        jwks=jwks,
    )
    session.add(client)
    return client


def find_client(session: Session, client_id: str) -> SmartClient | None:
    """The active client with this client_id (revoked clients are as good as unknown)."""
    if not client_id or len(client_id) > 64:
        return None
    row = session.exec(select(SmartClient).where(SmartClient.client_id == client_id)).first()
    return row if row is not None and row.revoked_at is None else None


def list_clients(session: Session) -> list[SmartClient]:
    return list(session.exec(select(SmartClient).order_by(SmartClient.created_at)).all())


def revoke_client(session: Session, client_id: str) -> bool:
    row = session.exec(select(SmartClient).where(SmartClient.client_id == client_id)).first()
    if row is None:
        return False
    row.revoked_at = row.revoked_at or utcnow()
    session.add(row)
    return True
