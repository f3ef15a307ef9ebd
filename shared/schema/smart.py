"""SMART Backend Services clients (platform, written through shared/smart/): a registered EHR's
public keys and organization, and the assertion ids it already used."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from shared.clock import UtcDateTime, utcnow
from shared.schema._columns import json_dict


class SmartClient(SQLModel, table=True):
    __tablename__ = "smart_client"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    client_id: str = Field(max_length=64, unique=True, index=True)  # what the EHR puts in iss/sub
    name: str = Field(max_length=120)
    organization: str = Field(max_length=120)  # its referrals' organization: never from a body
    jwks: dict = json_dict()  # {"keys": [public JWKs]}: no private members are ever stored
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class SmartAssertionJti(SQLModel, table=True):
    """A client assertion's jti, kept until its exp so the same assertion is never accepted twice."""

    __tablename__ = "smart_assertion_jti"

    client_id: str = Field(max_length=64, primary_key=True)
    jti: str = Field(max_length=255, primary_key=True)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
