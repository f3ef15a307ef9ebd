"""Intake's rules: what an inquiry is, its opaque reference, the request fingerprint and the
Idempotency-Key format, and the repeat-contact keys. Pure: no I/O, no settings of its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.errors import DomainError, FieldProblem

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,255}$")
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


@dataclass
class Inquiry:
    channel: str
    message: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    date_of_birth: str | None = None
    language: str | None = None
    preferred_contact_method: str | None = None
    preferred_contact_time: str | None = None
    how_heard: str | None = None
    organization: str | None = None  # the referring practice, for provider scoping
    details: dict[str, Any] = field(default_factory=dict)  # structured fields for triage (PHI)
    consent: ConsentGiven | None = None  # web form and phone: the wording the person agreed to
    spam_reason: str | None = None  # the public form's spam defence tripped (domain/spam.py)
    dedupe_hash: str | None = None  # keyed hash of channel + normalised body (domain/spam.py)
    canary: bool = False  # the pipeline's own test lead (app/canary.py), never a person's


@dataclass(frozen=True)
class ConsentGiven:
    version: str
    language: str
    sha256: str  # of the exact wording shown or read out
    heard_by: str | None = None  # on the phone: the agent ("key:<id>", "user:<id>")


@dataclass(frozen=True)
class FirstSubmission:
    """The lead an identical resubmission is answered with."""

    lead_id: UUID
    reference: str
    risk_flag: bool
    language: str | None


@dataclass
class Receipt:
    status_code: int
    body: dict
    replayed: bool = False


def new_reference() -> str:
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))


def request_fingerprint(route: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


def check_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise DomainError(
            "bad_idempotency_key",
            400,
            "Malformed Idempotency-Key header",
            detail="Use 1 to 255 characters from A-Z, a-z, 0-9 and . _ : -",
            errors=[FieldProblem("Idempotency-Key", "pattern", "Use 1-255 of A-Z a-z 0-9 . _ : -")],
        )
    return value


def contact_key(kind: str, value: str | None, secret: bytes) -> str | None:
    """HMAC of a normalised phone or email: routing matches repeat contacts by it; not reversible."""
    if not value:
        return None
    if kind == "email":
        normal = value.strip().lower()
    else:
        normal = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if not normal:
        return None
    return hmac.new(secret, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()


def region_of(details: dict) -> str | None:
    """The state or region a referral names, as a short code (licensing: routing's rules use it)."""
    region = details.get("state") or details.get("region")
    if not isinstance(region, str):
        return None
    return region.strip().upper()[:16] or None


def triage_details(**values: Any) -> dict:
    """The structured fields triage reads, without empty ones (dates as ISO strings)."""
    out = {}
    for key, value in values.items():
        if value is None or value == [] or value == {}:
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out
