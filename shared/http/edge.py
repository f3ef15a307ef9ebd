"""ASGI middleware at the public edge: header limits, a body-read deadline, security headers.

- Too many request headers, or too many header bytes → 431 problem+json before any route runs.
  (uvicorn's own cap, set a little higher in shared/http/server.py, also answers 431 for heads
  that never finish arriving.)
- The whole body must arrive within CAREROUTE_BODY_READ_TIMEOUT_SECONDS of the request head; a
  client that dribbles it gets 408 and the connection is closed, so it cannot hold the request
  open. (The head itself is timed by the server protocol, shared/http/server.py.)
- Every response carries a strict Content-Security-Policy (no inline script, no framing),
  nosniff, a same-origin referrer policy (signed links are in URLs: no other site sees them as a
  Referer; our own form posts keep their Origin for the CSRF check), and HSTS in production.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import DomainError
from shared.http.problems import problem_response
from shared.logging import get_logger

log = get_logger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs page loads Swagger UI from /assets (vendored, no CDN) and starts it with one
# inline script; it is off in production unless enabled, and only that page gets this policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
HSTS = "max-age=31536000; includeSubDomains"


class _BodyTimedOut(Exception):
    pass


class EdgeLimitsMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_header_count: int, max_header_bytes: int, body_read_timeout: float
    ) -> None:
        self.app = app
        self.max_header_count = max_header_count
        self.max_header_bytes = max_header_bytes
        self.body_read_timeout = body_read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        size = sum(len(name) + len(value) + 4 for name, value in headers)  # "name: value\r\n"
        if len(headers) > self.max_header_count or size > self.max_header_bytes:
            log.warning("request_headers_too_large", count=len(headers), bytes=size)
            error = DomainError(
                "headers_too_large",
                431,
                "Request header fields too large",
                detail=f"Send at most {self.max_header_count} headers and {self.max_header_bytes} bytes of them.",
                headers={"Connection": "close"},
            )
            await problem_response(error)(scope, receive, send)
            return

        deadline = time.monotonic() + self.body_read_timeout
        started = False

        async def timed_receive() -> Message:
            nonlocal deadline
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _BodyTimedOut
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise _BodyTimedOut from None
            if message["type"] == "http.request" and not message.get("more_body", False):
                deadline = float("inf")  # the body is in: later receives wait for a disconnect
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _BodyTimedOut:
            log.warning("request_body_read_timeout", path=scope["path"])
            if not started:
                error = DomainError(
                    "body_read_timeout",
                    408,
                    "The request body arrived too slowly",
                    detail=f"Send the whole body within {self.body_read_timeout:g} seconds.",
                    headers={"Connection": "close"},
                )
                await problem_response(error)(scope, receive, send)


class SecurityHeadersMiddleware:
    """`embeddable`: paths the clinic's own sites (`embed_origins`) may show in an iframe (the public
    form): their CSP names those origins in frame-ancestors and X-Frame-Options is left out (it
    cannot name origins; browsers follow frame-ancestors). With no origins they stay unframeable."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts: bool,
        embeddable: frozenset[str] = frozenset(),
        embed_origins: list[str] | None = None,
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.embeddable = embeddable if embed_origins else frozenset()
        self.embed_csp = CSP.replace(
            "frame-ancestors 'none'", "frame-ancestors " + " ".join(embed_origins or [])
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embedded = scope["path"] in self.embeddable
        csp = DOCS_CSP if scope["path"] in DOCS_PATHS else self.embed_csp if embedded else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                ]
                if not embedded:
                    extra.append((b"x-frame-options", b"DENY"))
                if self.hsts:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                headers.extend((name, value) for name, value in extra if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
