"""Argon2id password hashes (argon2-cffi), tuned on the deployment machine class.

Parameters: time_cost=2, memory_cost=32 MiB, parallelism=1 — one verification measured at ~70 ms
median (67–101 ms) on the 2-core reference machine under load (`bench/bench_password_hash.py`
prints it; docs/security.md records it). Above OWASP's Argon2id floor (19 MiB, t=2). Hashes made
with other parameters are re-hashed at the next successful sign-in (`needs_rehash`).
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST = 2
MEMORY_COST_KIB = 32 * 1024
PARALLELISM = 1
MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; a bound keeps a huge body from costing more


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses older parameters)."""
    if not password or len(password) > MAX_LENGTH:
        burn_time()
        return False, None
    try:
        hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, hash_password(password) if hasher().check_needs_rehash(stored_hash) else None


def burn_time() -> None:
    """The cost of one verification, spent when there is no account to check (an unknown email,
    a locked account), so timing does not tell them apart."""
    try:
        hasher().verify(_dummy_hash(), secrets.token_urlsafe(16))
    except VerifyMismatchError:
        pass


def generate_password() -> str:
    """A random password to hand out once (20 URL-safe characters, ~120 bits)."""
    return secrets.token_urlsafe(15)


def password_problem(password: str) -> str | None:
    """Why a chosen password is refused (NIST 800-63B: length, not composition rules)."""
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    return None
