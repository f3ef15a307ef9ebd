"""Checking a client assertion (SMART Backend Services; RFC 7523 private_key_jwt).

Every refusal is `invalid_client` with a fixed description: nothing the client sent is echoed,
and the descriptions tell an integrator what to fix without helping a guesser much.
"""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.clock import utcnow
from shared.schema import SmartAssertionJti, SmartClient
from shared.smart import ALGORITHMS, OAuthError
from shared.smart.clients import find_client

MAX_LIFETIME_SECONDS = 300  # SMART: exp no more than five minutes in the future
LEEWAY_SECONDS = 10  # clock skew between the EHR and us
MAX_ASSERTION_BYTES = 16 * 1024


def _refuse(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 401)


def _key_for(client: SmartClient, header: dict, alg: str):
    kty = "RSA" if alg == "RS384" else "EC"
    keys = [k for k in (client.jwks or {}).get("keys", []) if k.get("kty") == kty]
    kid = header.get("kid")
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    if len(keys) != 1:
        raise _refuse("No registered key matches the assertion's kid and alg.")
    return jwt.PyJWK(keys[0], algorithm=alg).key


def verify_client_assertion(session: Session, assertion: str, audience: str) -> SmartClient:
    """The client whose registered key signed `assertion`, after every check; its jti is recorded
    (in the caller's transaction) so the same assertion is refused next time."""
    if not assertion or len(assertion) > MAX_ASSERTION_BYTES:
        raise _refuse("client_assertion is missing or too large.")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _refuse("client_assertion is not a JWT.") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _refuse("client_assertion must be signed with RS384 or ES384.")
    issuer = unverified.get("iss")
    client = find_client(session, issuer) if isinstance(issuer, str) else None
    if client is None:
        raise _refuse("Unknown client: register it with `careroute fhir client create`.")
    try:
        claims = jwt.decode(
            assertion,
            _key_for(client, header, alg),
            algorithms=[alg],
            audience=audience,
            issuer=client.client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("client_assertion has expired.") from None
    except jwt.InvalidAudienceError:
        raise _refuse("client_assertion aud must be this server's token URL.") from None
    except jwt.MissingRequiredClaimError:
        raise _refuse("client_assertion needs iss, sub, aud, exp and jti.") from None
    except jwt.PyJWTError:
        raise _refuse("client_assertion signature or claims are not valid.") from None
    if claims.get("sub") != client.client_id:
        raise _refuse("client_assertion sub must equal iss (the client_id).")
    now = utcnow()
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if (expires - now).total_seconds() > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise _refuse("client_assertion exp must be at most five minutes ahead.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 255:
        raise _refuse("client_assertion jti must be a string of 1-255 characters.")
    _remember_jti(session, client.client_id, jti, expires, now)
    return client


def _remember_jti(session: Session, client_id: str, jti: str, expires: datetime, now: datetime) -> None:
    session.execute(delete(SmartAssertionJti).where(SmartAssertionJti.expires_at < now))
    if session.get(SmartAssertionJti, (client_id, jti)) is not None:
        raise _refuse("client_assertion jti was already used.")
    try:
        with session.begin_nested():  # a concurrent twin lands on the primary key, not a 500
            session.add(SmartAssertionJti(client_id=client_id, jti=jti, expires_at=expires))
    except IntegrityError:
        raise _refuse("client_assertion jti was already used.") from None
