"""`rate_limit(group)`: a FastAPI dependency that answers 429 problem+json with Retry-After.

    @router.post("/v1/inquiries/web", dependencies=[Depends(rate_limit("public_form"))])
    @router.post("/console/sign-in", dependencies=[Depends(rate_limit("sign_in"))])
    @router.post("/fhir/r4/auth/token", dependencies=[Depends(rate_limit("fhir_token"))])

A group's limits come from CAREROUTE_RATE_LIMIT_<GROUP> (`10/minute;60/hour`); a request is
counted under the group and an identity: the real client address by default
(shared/http/client_address.py), or whatever `key` returns (`api_key_identity`: the presented
key). A `key` that returns None skips the check (e.g. no key presented). `problem_extra` adds
fields to the 429 (the public form adds crisis resources: a throttled person still sees 988).
The counters (shared/ratelimit.py) fail open when their store is down.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request

from shared.errors import DomainError
from shared.http.client_address import client_address
from shared.ratelimit import get_limiter, parse_limits
from shared.settings import Settings, get_settings

GROUPS = ("public_form", "api_key", "sign_in", "fhir_token")


def api_key_identity(request: Request) -> str | None:
    """The presented API key, hashed (so the counter's key never holds it); None without one."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return None
    return "key:" + hashlib.sha256(presented.strip().encode()).hexdigest()[:32]


def rate_limit(
    group: str,
    *,
    key: Callable[[Request], str | None] = client_address,
    problem_extra: Callable[[Request], dict] | None = None,
) -> Callable[[Request], None]:
    if group not in GROUPS or f"rate_limit_{group}" not in Settings.model_fields:
        raise ValueError(f"unknown rate-limit group {group!r}: one of {', '.join(GROUPS)}")

    def dependency(request: Request) -> None:
        settings = get_settings()
        if not settings.rate_limit_enabled:
            return
        identity = key(request)
        if identity is None:
            return
        limits = parse_limits(getattr(settings, f"rate_limit_{group}"))
        decision = get_limiter().hit(group, limits, identity)
        if decision.allowed:
            return
        if problem_extra is not None:
            request.state.problem_extra = {
                **(getattr(request.state, "problem_extra", None) or {}),
                **problem_extra(request),
            }
        raise DomainError(
            "rate_limited",
            429,
            "Too many requests",
            detail=f"Please wait {decision.retry_after} seconds before trying again.",
            headers={"Retry-After": str(decision.retry_after)},
        )

    dependency.rate_limit_group = group  # type: ignore[attr-defined]  # for route introspection
    return dependency
