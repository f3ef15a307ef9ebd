"""The SendGrid Event Webhook's signature: ECDSA P-256 over timestamp + raw body, checked with the
sendgrid helper, plus what the helper lacks: a timestamp window against replays, and a clean
rejection (domain/webhook.py's WebhookRejected) instead of an exception for a malformed signature."""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook

from services.notify.domain.webhook import WebhookKeyError, WebhookRejected

_TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
_MAX_SIGNATURE_CHARS = 200  # a DER P-256 signature is at most 72 bytes (96 base64 chars)


def verify_signed_webhook(
    public_key_pem_or_b64: str,
    raw_body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float,
    window_seconds: int = 300,
) -> None:
    """Raise WebhookRejected(code) unless the body is signed by the key and the timestamp is fresh.

    Codes: missing_signature, missing_timestamp, malformed_timestamp, stale_timestamp,
    malformed_signature, malformed_body, bad_signature. Raises WebhookKeyError for a bad key.
    """
    key = load_public_key(public_key_pem_or_b64)
    if signature is None or not signature.strip():
        raise WebhookRejected("missing_signature")
    if timestamp is None or not timestamp.strip():
        raise WebhookRejected("missing_timestamp")
    ts = timestamp.strip()
    if not _TIMESTAMP_RE.match(ts):
        raise WebhookRejected("malformed_timestamp")
    # Cheap checks before the ECDSA verify; a replay outside the window is refused either way.
    if abs(now - int(ts)) > window_seconds:
        raise WebhookRejected("stale_timestamp")
    sig = signature.strip()
    if len(sig) > _MAX_SIGNATURE_CHARS:
        raise WebhookRejected("malformed_signature")
    try:
        if not base64.b64decode(sig, validate=True):
            raise WebhookRejected("malformed_signature")
    except (binascii.Error, ValueError):
        raise WebhookRejected("malformed_signature") from None
    try:
        payload = raw_body.decode("utf-8")  # the helper signs str; strict decoding keeps bytes exact
    except UnicodeDecodeError:
        raise WebhookRejected("malformed_body") from None
    try:
        ok = EventWebhook().verify_signature(payload, sig, ts, public_key=key)
    except (InvalidSignature, ValueError, TypeError):
        # The helper raises on a signature that is valid base64 but not a DER ECDSA signature.
        raise WebhookRejected("malformed_signature") from None
    if not ok:
        raise WebhookRejected("bad_signature")


@lru_cache(maxsize=8)
def load_public_key(public_key_pem_or_b64: str) -> ec.EllipticCurvePublicKey:
    """SendGrid shows the key as base64 DER (SubjectPublicKeyInfo); a PEM block is accepted too."""
    text = public_key_pem_or_b64.strip()
    if "-----BEGIN" in text:
        text = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    b64 = "".join(text.split())
    if not b64:
        raise WebhookKeyError("empty webhook verification key")
    try:
        key = EventWebhook().convert_public_key_to_ecdsa(b64)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise WebhookKeyError("webhook verification key is not a valid public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise WebhookKeyError("webhook verification key must be ECDSA P-256")
    return key
