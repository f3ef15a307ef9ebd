"""SMART Backend Services (OAuth 2.0 client credentials with a signed JWT assertion): how an EHR
connects system to system.

- `keys.py`: a client's public keys (a JWKS or a PEM), checked and reduced to public members.
- `clients.py`: registering, listing and revoking clients (`careroute fhir client ...`).
- `assertion.py`: checking a client assertion (RS384/ES384, iss = sub = client_id, aud = our token
  URL, exp at most five minutes ahead, jti never seen before).
- `tokens.py`: scopes, and the short-lived access token the FHIR endpoints accept through the
  same caller dependency as API keys (a provider `Caller` with the client's organization).
"""

from __future__ import annotations

from shared.settings import get_settings

FHIR_BASE_PATH = "/fhir/r4"
TOKEN_PATH = f"{FHIR_BASE_PATH}/auth/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")


def fhir_base_url() -> str:
    return get_settings().public_base_url.rstrip("/") + FHIR_BASE_PATH


def token_url() -> str:
    """What a client assertion's `aud` must be (advertised in metadata and smart-configuration)."""
    return get_settings().public_base_url.rstrip("/") + TOKEN_PATH


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: a code and a fixed description (never a submitted value)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
