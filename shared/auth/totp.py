"""TOTP second factor (RFC 6238 via pyotp): enrolment URI and QR code, and one-time verification.

A code is accepted in the current 30-second step or the one either side (clock drift), and only
once: the accepted step is remembered and a code from it or an earlier step is refused. The QR
code is an inline SVG made here (segno): the secret never leaves for a third-party renderer.
"""

from __future__ import annotations

import time

import pyotp
import segno

ISSUER = "CareRoute"
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG of the URI's QR code (no external renderer)."""
    return segno.make_qr(uri, error="m").svg_inline(scale=5, border=2, title="Two-step sign-in QR code")


def accepted_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step `code` belongs to, if it is valid and newer than `last_step`; else None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    at = time.time() if now is None else now
    current = int(at // totp.interval)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * totp.interval), code):
            return step
    return None
