"""How `careroute api` runs uvicorn: h11 with a deadline on the request head and 431 for heads
that are too large.

uvicorn times idle keep-alive connections but not a request head in progress: a client that
opens a connection and sends a header byte every few seconds holds it for ever. This protocol
gives every head CAREROUTE_HEADER_READ_TIMEOUT_SECONDS from its first byte (from the connection
for the first request) and then answers 408 and closes. A head larger than h11's buffer (the
header limit plus room for the request line) gets 431 problem+json instead of uvicorn's plain
400. The body's own deadline is EdgeLimitsMiddleware's (shared/http/edge.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared.settings import Settings

REQUEST_LINE_ALLOWANCE = 8 * 1024


def _problem(status: int, code: str, title: str, detail: str) -> bytes:
    body = json.dumps(
        {"type": f"https://careroute.dev/problems/{code}", "title": title, "status": status, "code": code,
         "detail": detail}
    ).encode()  # fmt: skip
    reason = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class GuardedH11Protocol(H11Protocol):
    header_timeout: float = 10.0  # set per server by uvicorn_config()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._error_hint: int | None = None
        next_event = self.conn.next_event

        def remembering_next_event() -> Any:  # keeps h11's status hint (431) for send_400_response
            try:
                return next_event()
            except h11.RemoteProtocolError as exc:
                self._error_hint = exc.error_status_hint
                raise

        self.conn.next_event = remembering_next_event  # type: ignore[method-assign]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            self._cancel_head_timer()
        elif self.conn.their_state is h11.IDLE:
            if self._head_timer is None:  # a new head started arriving on a kept-alive connection
                self._arm_head_timer()
        else:
            self._cancel_head_timer()  # the head is complete

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        if self._error_hint == 431:
            detail = "The request line and headers are larger than this server accepts."
            self._refuse(_problem(431, "headers_too_large", "Request header fields too large", detail))
        else:
            self._refuse(
                _problem(400, "bad_request", "Malformed HTTP request", "The request is not valid HTTP/1.1.")
            )

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written on this connection
        self.logger.warning("request head read timeout")
        detail = f"Send the request line and headers within {self.header_timeout:g} seconds."
        self._refuse(_problem(408, "header_read_timeout", "The request headers arrived too slowly", detail))

    def _refuse(self, response: bytes) -> None:
        self._cancel_head_timer()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()


class CareRouteH11Protocol(GuardedH11Protocol):
    """GuardedH11Protocol with the configured head deadline. Named by an import string in the
    options, so `careroute api --workers N` can hand it to uvicorn's worker processes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from shared.settings import get_settings

        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_read_timeout_seconds


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options every API process uses (`careroute api`, and the socket tests)."""
    return dict(
        host=settings.host,
        port=settings.port,
        http="shared.http.server:CareRouteH11Protocol",
        h11_max_incomplete_event_size=settings.max_header_bytes + REQUEST_LINE_ALLOWANCE,
        timeout_keep_alive=5,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the client address is ours to resolve (shared/http/client_address.py)
        server_header=False,
    )
