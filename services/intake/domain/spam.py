"""The public form's spam defence and duplicate key. Pure: secrets and times are passed in.

- **Honeypot.** The form carries a field people never see (`website`, hidden by the page's CSS
  and labelled "leave empty"). The schema accepts it, so a bot that fills it gets the same 202 as
  anyone; a non-empty value flags the lead for spam review.
- **Minimum fill time.** `GET /v1/inquiries/web/form` hands out a signed token carrying the time
  it was issued; a form sent back sooner than CAREROUTE_FORM_MIN_FILL_SECONDS is flagged, and so
  is a token whose signature is wrong. No token (a JSON API client) is never flagged, and an
  expired one (a page left open overnight) is treated as no token: a missing or stale token must
  never stop a person.
- **Duplicate key.** A keyed hash of the channel and the normalised body: an identical
  resubmission within CAREROUTE_DUPLICATE_WINDOW_SECONDS is answered with the first lead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from enum import StrEnum
from typing import Any

HONEYPOT_FIELD = "website"
FORM_TOKEN_FIELD = "form_token"
_TOKEN = re.compile(r"^ft1\.([0-9]{1,12})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$")
CLOCK_SKEW_SECONDS = 60


class SpamReason(StrEnum):
    honeypot = "honeypot"
    too_fast = "too_fast"
    bad_form_token = "bad_form_token"


def _sign(secret: bytes, issued: int, nonce: str) -> str:
    digest = hmac.new(secret, f"careroute-form-token:{issued}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_form_token(secret: bytes, now: float) -> str:
    issued = int(now)
    nonce = secrets.token_hex(8)
    return f"ft1.{issued}.{nonce}.{_sign(secret, issued, nonce)}"


def spam_reason(
    *,
    honeypot: str | None,
    form_token: str | None,
    secret: bytes,
    now: float,
    min_fill_seconds: float,
    max_age_seconds: float,
) -> SpamReason | None:
    """Why this submission should wait for spam review, or None."""
    if honeypot is not None and honeypot.strip():
        return SpamReason.honeypot
    if form_token is None or not form_token.strip():
        return None
    match = _TOKEN.match(form_token.strip())
    if match is None:
        return SpamReason.bad_form_token
    issued, nonce, signature = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(signature, _sign(secret, issued, nonce)):
        return SpamReason.bad_form_token
    age = now - issued
    if age < -CLOCK_SKEW_SECONDS:
        return SpamReason.bad_form_token  # signed by us, yet from the future: a forged clock
    if age > max_age_seconds:
        return None  # a page left open too long: no longer evidence either way
    if age < min_fill_seconds:
        return SpamReason.too_fast
    return None


def dedupe_key(channel: str, normalised_body: dict[str, Any], secret: bytes) -> str:
    """HMAC of the channel and the validated body (after phone/email/whitespace normalisation):
    stored on the lead, never reversible to what the person wrote."""
    canonical = json.dumps(normalised_body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret, f"dedupe:{channel}\n{canonical}".encode(), hashlib.sha256).hexdigest()
