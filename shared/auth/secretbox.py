"""Seal small secrets (TOTP seeds) with AES-256-GCM under a key derived from CAREROUTE_SECRET_KEY.

A stolen database without the settings gives no second factor. Format: `v1.<base64url(nonce +
ciphertext)>`; the purpose is bound as associated data, so a value sealed for one use cannot be
replayed as another. (Issue 10 part B brings per-value key ids and rotation for PHI columns; a
sealed TOTP seed can move onto that scheme by re-sealing.)
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.settings import get_settings

_PREFIX = "v1."


class SealBroken(Exception):
    """The value was not sealed by this deployment's key (or was altered)."""


def _key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"careroute.secretbox.v1").derive(
        secret
    )


def seal(plaintext: str, purpose: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext.encode(), purpose.encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(value: str, purpose: str) -> str:
    if not value.startswith(_PREFIX):
        raise SealBroken("unknown format")
    try:
        raw = base64.urlsafe_b64decode(value[len(_PREFIX) :].encode())
        return AESGCM(_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except (InvalidTag, ValueError):
        raise SealBroken("cannot open") from None
