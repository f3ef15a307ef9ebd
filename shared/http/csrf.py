"""CSRF defence for cookie-authenticated requests: a synchronizer token and an Origin check.

A state-changing request that a session cookie authenticates must carry the session's CSRF token
(header `X-CSRF-Token` for API calls, form field `csrf_token` for HTML forms) AND come from our own
origin: `Origin` (or, when a browser omits it, `Referer`) must be CAREROUTE_PUBLIC_BASE_URL's
origin or the request's own. A request with neither header is refused. API keys in the
Authorization header are not ambient credentials and need neither.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from shared.errors import DomainError
from shared.settings import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(request: Request) -> set[str]:
    allowed = {_origin_of(get_settings().public_base_url)}
    host = request.headers.get("host")
    if host:
        allowed.add(f"{request.url.scheme}://{host}".lower())
    return {o for o in allowed if o}


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower() in allowed_origins(request)
    referer = request.headers.get("referer")
    if referer:
        return _origin_of(referer) in allowed_origins(request)
    return False


def csrf_refused(why: str) -> DomainError:
    return DomainError(
        "csrf_failed",
        403,
        "The request was refused (cross-site request protection)",
        detail=why,
    )


def check_origin(request: Request) -> None:
    if not same_origin(request):
        raise csrf_refused("The request did not come from this site (Origin / Referer).")
