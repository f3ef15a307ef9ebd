"""Scopes and access tokens.

The access token is a short JWT signed by us (HS256, a key derived from CAREROUTE_SECRET_KEY for
this purpose only). It names the client; each request also checks the client is still registered,
so revoking a client ends its tokens at once.

Scopes: SMART v1 (`system/Task.read`, `system/ServiceRequest.write`) and v2
(`system/Task.rs`, `system/ServiceRequest.cr`) are understood; we grant the part of a request we
implement: ServiceRequest create and read, Task read and search. Task read and search are granted
together (both return only the client's organization's Tasks).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import jwt
from sqlmodel import Session

from shared.caller import Caller, CallerKind
from shared.clock import utcnow
from shared.enums import Role
from shared.schema import SmartClient
from shared.settings import get_settings
from shared.smart import OAuthError, fhir_base_url, token_url
from shared.smart.clients import find_client

SUPPORTED = {"ServiceRequest": "cr", "Task": "rs"}
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(r"^system/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)$")
_TOKEN_KIND = "careroute-smart-access"


def _signing_key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hmac.new(secret, b"careroute.smart-access-token.v1", hashlib.sha256).digest()


def grant_scopes(requested: str | None) -> tuple[str, frozenset[str]]:
    """(the granted scope string, the permissions as {"Task.r", "ServiceRequest.c", ...})."""
    granted: dict[str, set[str]] = {}
    for token in (requested or "").split():
        match = _SCOPE.match(token)
        if not match or not match.group(2):
            continue  # patient/, user/, openid, fhirUser...: not for a backend client here
        resource, perms = match.groups()
        wanted = set(_V1.get(perms, perms))
        for name, supported in SUPPORTED.items():
            if resource in ("*", name):
                allowed = wanted & set(supported)
                if name == "Task" and allowed:
                    allowed = set(supported)  # read and search go together
                if allowed:
                    granted.setdefault(name, set()).update(allowed)
    if not granted:
        raise OAuthError(
            "invalid_scope",
            "Ask for system/ServiceRequest.cr and system/Task.rs (or the v1 .read/.write forms).",
        )
    text = " ".join(
        f"system/{name}.{''.join(p for p in 'cruds' if p in perms)}"
        for name, perms in sorted(granted.items())
    )
    return text, frozenset(f"{name}.{p}" for name, perms in granted.items() for p in perms)


def issue_access_token(client: SmartClient, scope: str) -> dict:
    """The token response body (RFC 6749 §5.1)."""
    lifetime = get_settings().smart_access_token_seconds
    now = utcnow()
    claims = {
        "iss": token_url(),
        "aud": fhir_base_url(),
        "sub": client.client_id,
        "typ": _TOKEN_KIND,
        "scope": scope,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    token = jwt.encode(claims, _signing_key(), algorithm="HS256")
    return {"access_token": token, "token_type": "bearer", "expires_in": lifetime, "scope": scope}


def authenticate_access_token(session: Session, presented: str) -> Caller | None:
    """The provider caller an access token stands for, or None (expired, forged, revoked client)."""
    try:
        claims = jwt.decode(
            presented,
            _signing_key(),
            algorithms=["HS256"],
            audience=fhir_base_url(),
            issuer=token_url(),
            options={"require": ["exp", "sub", "scope"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != _TOKEN_KIND or not isinstance(claims.get("sub"), str):
        return None
    client = find_client(session, claims["sub"])
    if client is None:
        return None
    try:
        _text, scopes = grant_scopes(claims.get("scope"))
    except OAuthError:
        return None
    return Caller(
        kind=CallerKind.smart_client,
        id=client.id,
        role=Role.provider,
        organization=client.organization,
        scopes=scopes,
    )
