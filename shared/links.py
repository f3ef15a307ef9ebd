"""Signed, expiring links for coordinators: the only way an email points at a lead.

The token names the lead by its opaque reference and the coordinator it was sent to; it carries no
PHI and proves the link came from us. It grants only the actions on that one lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.settings import get_settings

_SALT = "careroute.lead-link.v1"


@dataclass(frozen=True)
class LinkClaim:
    reference: str
    coordinator_id: UUID


class LinkInvalid(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key.get_secret_value(), salt=_SALT)


def sign_token(reference: str, coordinator_id: UUID) -> str:
    return _serializer().dumps({"r": reference, "c": str(coordinator_id)})


def lead_link(reference: str, coordinator_id: UUID) -> str:
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/console/leads/{reference}?t={sign_token(reference, coordinator_id)}"


def verify_token(token: str, reference: str) -> LinkClaim:
    try:
        data = _serializer().loads(token, max_age=get_settings().link_ttl_seconds)
    except SignatureExpired:
        raise LinkInvalid("link_expired") from None
    except BadSignature:
        raise LinkInvalid("link_invalid") from None
    if data.get("r") != reference:
        raise LinkInvalid("link_invalid")
    return LinkClaim(reference=data["r"], coordinator_id=UUID(data["c"]))
