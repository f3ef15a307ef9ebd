"""Signed, expiring links to a referral's status page, for the referrer.

The token names the referral by its opaque reference and lead id; it carries no PHI and grants
one thing only: reading that referral's status word and dates. A different salt from the
coordinators' links, so neither token opens the other's page.
"""

from __future__ import annotations

from uuid import UUID

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_SALT = "careroute.referral-status.v1"


class StatusLinkInvalid(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign_status_token(secret: str, reference: str, lead_id: UUID) -> str:
    return _serializer(secret).dumps({"r": reference, "l": str(lead_id)})


def status_link(base_url: str, secret: str, reference: str, lead_id: UUID) -> str:
    return f"{base_url.rstrip('/')}/referrals/{reference}/status?t={sign_status_token(secret, reference, lead_id)}"


def verify_status_token(secret: str, token: str, reference: str, max_age: int) -> UUID:
    """The lead id the token was issued for; raises StatusLinkInvalid otherwise."""
    if not token:
        raise StatusLinkInvalid("link_missing")
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except SignatureExpired:
        raise StatusLinkInvalid("link_expired") from None
    except BadSignature:
        raise StatusLinkInvalid("link_invalid") from None
    if not isinstance(data, dict) or data.get("r") != reference:
        raise StatusLinkInvalid("link_invalid")
    try:
        return UUID(str(data.get("l")))
    except ValueError:
        raise StatusLinkInvalid("link_invalid") from None
