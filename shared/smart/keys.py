"""A SMART client's public keys: from a JWKS file or a PEM public key, checked, reduced to their
public members and given a kid (the RFC 7638 thumbprint when the key has none)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

_PUBLIC_MEMBERS = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
MIN_RSA_BITS = 2048


class KeyRejected(ValueError):
    """The key cannot be registered; the message says why (it never contains key material)."""


def thumbprint(jwk: dict) -> str:
    members = {name: jwk[name] for name in _PUBLIC_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def _public_jwk(jwk: dict[str, Any]) -> dict:
    kty = jwk.get("kty")
    if kty not in _PUBLIC_MEMBERS:
        raise KeyRejected("Only RSA (RS384) and EC P-384 (ES384) keys are accepted.")
    if _PRIVATE_MEMBERS & set(jwk):
        raise KeyRejected("This is a private key: register the public key only, and keep the private one.")
    alg = "RS384" if kty == "RSA" else "ES384"
    if jwk.get("alg") not in (None, alg):
        raise KeyRejected("Key algorithm must be RS384 (RSA) or ES384 (EC P-384).")
    if kty == "EC" and jwk.get("crv") != "P-384":
        raise KeyRejected("EC keys must be on curve P-384 (ES384).")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
        raise KeyRejected("The key could not be read as a JWK.") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise KeyRejected(f"RSA keys must have at least {MIN_RSA_BITS} bits.")
    public = {name: jwk[name] for name in _PUBLIC_MEMBERS[kty]}
    public.update(alg=alg, use="sig", kid=str(jwk.get("kid") or thumbprint(public))[:128])
    return public


def jwks_from_json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        raise KeyRejected("The JWKS file is not JSON.") from None
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) for k in keys):
        raise KeyRejected('A JWKS is {"keys": [...]} with at least one key.')
    public = [_public_jwk(k) for k in keys]
    if len({k["kid"] for k in public}) != len(public):
        raise KeyRejected("Two keys share a kid.")
    return {"keys": public}


def jwks_from_pem(pem: bytes) -> dict:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise KeyRejected("Not a PEM public key (a private key or certificate is not accepted).") from None
    if isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
    else:
        raise KeyRejected("Only RSA (RS384) and EC P-384 (ES384) keys are accepted.")
    return {"keys": [_public_jwk(jwk)]}
