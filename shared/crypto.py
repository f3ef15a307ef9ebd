"""Field-level encryption of PHI at rest: AES-256-GCM with a key id on every value.

A stored value reads `v1:<key id>:<base64(nonce | ciphertext+tag)>`. The associated data names
the column (`lead_contact.name`), so a value copied into another column does not decrypt. Keys
come from settings (`CAREROUTE_PHI_KEYS`, `CAREROUTE_PHI_ACTIVE_KEY_ID`); new values are written
under the active key and any configured key decrypts, which is what lets `careroute keys rotate`
move old values to a new key while the system runs. Development and test derive one key, id
`dev`, from the development secret; production refuses to start without real keys.

Nothing here ever puts a value (plaintext or ciphertext) in an exception message or a log line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.settings import Settings, get_settings

FORMAT = "v1"
DEV_KEY_ID = "dev"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
NONCE_BYTES = 12
KEY_BYTES = 32


class PhiCryptoError(Exception):
    """A stored value could not be decrypted. The message names the column and key id only."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active_id: str

    def cipher(self, key_id: str) -> AESGCM:
        return _cipher(self.keys[key_id])


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


def parse_keys(spec: str) -> dict[str, bytes]:
    """`id:base64key,id:base64key` → {id: 32 bytes}. Raises ValueError naming the entry's position."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate((e.strip() for e in spec.split(",")), start=1):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise ValueError(f"CAREROUTE_PHI_KEYS entry {position}: use id:base64key (id: A-Z a-z 0-9 _ -)")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"CAREROUTE_PHI_KEYS entry {position}: the key is not base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"CAREROUTE_PHI_KEYS entry {position}: a key must be 32 bytes (AES-256)")
        if key_id in keys:
            raise ValueError(f"CAREROUTE_PHI_KEYS entry {position}: key id {key_id} appears twice")
        keys[key_id] = key
    return keys


def dev_key(secret: str) -> bytes:
    """The development/test key: derived from the (non-production) secret, never used in production."""
    return hmac.new(secret.encode(), b"careroute phi dev key v1", hashlib.sha256).digest()


def build_keyring(settings: Settings) -> Keyring:
    spec = settings.phi_keys.get_secret_value() if settings.phi_keys else ""
    return _build_keyring(
        spec, settings.phi_active_key_id, settings.secret_key.get_secret_value(), settings.env
    )


@lru_cache(maxsize=8)
def _build_keyring(spec: str, active_id: str, secret: str, env: str) -> Keyring:
    keys = parse_keys(spec)
    if env != "production" and DEV_KEY_ID not in keys:
        keys[DEV_KEY_ID] = dev_key(secret)  # so a development database stays readable after rotating
    active = active_id or (DEV_KEY_ID if not spec else "")
    if active not in keys:
        raise ValueError("CAREROUTE_PHI_ACTIVE_KEY_ID must name a key in CAREROUTE_PHI_KEYS")
    return Keyring(keys=keys, active_id=active)


def keyring() -> Keyring:
    return build_keyring(get_settings())


def _aad(context: str) -> bytes:
    return f"careroute/phi/{FORMAT}/{context}".encode()


def encrypt(plaintext: bytes, context: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.cipher(ring.active_id).encrypt(nonce, plaintext, _aad(context))
    return f"{FORMAT}:{ring.active_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(value: str, context: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key_id = key_id_of(value)
    if key_id is None:
        raise PhiCryptoError(f"{context}: the stored value is not in the encrypted format")
    if key_id not in ring.keys:
        raise PhiCryptoError(f"{context}: the value is under key id {key_id!r}, which is not configured")
    try:
        raw = base64.b64decode(value.split(":", 2)[2], validate=True)
        return ring.cipher(key_id).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(context))
    except (InvalidTag, binascii.Error, ValueError):
        raise PhiCryptoError(f"{context}: the value does not decrypt (tampered or moved)") from None


def encrypt_text(plaintext: str, context: str, ring: Keyring | None = None) -> str:
    return encrypt(plaintext.encode("utf-8"), context, ring)


def decrypt_text(value: str, context: str, ring: Keyring | None = None) -> str:
    return decrypt(value, context, ring).decode("utf-8")


def key_id_of(value: str | None) -> str | None:
    """The key id a stored value names, or None when it is not an encrypted value."""
    if not value or not value.startswith(f"{FORMAT}:"):
        return None
    key_id = value[len(FORMAT) + 1 :].split(":", 1)[0]
    return key_id if KEY_ID.match(key_id) else None


def is_encrypted(value: str | None) -> bool:
    return key_id_of(value) is not None


def new_key() -> str:
    """A fresh random key, base64, for CAREROUTE_PHI_KEYS."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")
