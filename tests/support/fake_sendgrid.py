"""A local HTTP server that speaks SendGrid v3 `POST /v3/mail/send`, for the real sendgrid client.

It runs in a thread of the test process on 127.0.0.1 and a free port, so another process (a
Celery worker subprocess) can post to `.url` too. Queue behaviours for the next requests; when the
queue is empty the default (Accept) answers.

    with FakeSendGrid() as sg:
        sg.enqueue(RateLimited(reset_in=30), Accept())
        backend = SendGridBackend(sg.api_key, sg.url, timeout=2, from_email=...)
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Accept:
    """202 with an X-Message-Id; the body is recorded in `.accepted`."""


@dataclass(frozen=True)
class RateLimited:
    """429 with X-RateLimit-Reset = now + reset_in (epoch seconds), as SendGrid sends it."""

    reset_in: float = 30.0


@dataclass(frozen=True)
class ServerError:
    status: int = 503


@dataclass(frozen=True)
class ClientError:
    status: int = 400


@dataclass(frozen=True)
class HtmlTooLarge:
    """413 with an HTML body, the way a proxy in front of the API answers."""


@dataclass(frozen=True)
class Hang:
    """Hold the request `seconds` without answering, then close. With accept=True the message is
    recorded as accepted first (the provider took it, the answer never arrived in time)."""

    seconds: float = 30.0
    accept: bool = False


@dataclass(frozen=True)
class AcceptThenDrop:
    """Record the message as accepted, then close the connection without any response."""


Behaviour = Accept | RateLimited | ServerError | ClientError | HtmlTooLarge | Hang | AcceptThenDrop


class FakeSendGrid:
    def __init__(self, api_key: str = "SG.fake-test-key.not-a-secret", host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.default: Behaviour = Accept()
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._accepted: list[dict[str, Any]] = []
        self._message_ids: list[str] = []
        self._requests = 0
        self._seen: list[str] = []
        self._stop = threading.Event()
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSendGrid:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-sendgrid",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes hanging handlers
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSendGrid:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- programming and inspecting ----------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        """Parsed JSON bodies of the messages taken (a copy)."""
        with self._lock:
            return list(self._accepted)

    @property
    def message_ids(self) -> list[str]:
        with self._lock:
            return list(self._message_ids)

    @property
    def requests(self) -> int:
        """Every request received, whatever the answer."""
        with self._lock:
            return self._requests

    @property
    def raw_requests(self) -> list[str]:
        """Request lines and headers as received (to check what the client put on the wire)."""
        with self._lock:
            return list(self._seen)

    def wait_for_accepted(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._accepted) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._accepted)} of {count} messages accepted")
                self._changed.wait(left)
            return list(self._accepted)

    # --- internals ---------------------------------------------------------------------------
    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _record(self, body: dict[str, Any]) -> str:
        message_id = uuid.uuid4().hex[:22]
        with self._changed:
            self._accepted.append(body)
            self._message_ids.append(message_id)
            self._changed.notify_all()
        return message_id

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "FakeSendGrid/1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean; nothing here is worth logging

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake._lock:
                    fake._requests += 1
                    fake._seen.append(self.requestline + "\n" + str(self.headers))
                if self.path.rstrip("/") != "/v3/mail/send":
                    return self._json(404, {"errors": [{"message": "not found"}]})
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    message = "The provided authorization grant is invalid, expired, or revoked"
                    return self._json(401, {"errors": [{"message": message}]})
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._json(400, {"errors": [{"message": "Bad Request"}]})
                problem = _validate(body)
                if problem:
                    return self._json(400, {"errors": [{"message": problem}]})
                # Only a well-formed, authorised send consumes a queued behaviour.
                self._act(fake._next(), body)

            def do_GET(self) -> None:
                self._json(405, {"errors": [{"message": "method not allowed"}]})

            def _act(self, behaviour: Behaviour, body: dict[str, Any]) -> None:
                if isinstance(behaviour, Accept):
                    message_id = fake._record(body)
                    self._send(202, b"", {"X-Message-Id": message_id})
                elif isinstance(behaviour, RateLimited):
                    reset = int(time.time() + behaviour.reset_in)
                    self._json(
                        429,
                        {"errors": [{"message": "too many requests"}]},
                        {
                            "X-RateLimit-Limit": "600",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": str(reset),
                        },
                    )
                elif isinstance(behaviour, (ServerError, ClientError)):
                    self._json(behaviour.status, {"errors": [{"message": "error", "field": None}]})
                elif isinstance(behaviour, HtmlTooLarge):
                    html = (
                        b"<html><head><title>413 Request Entity Too Large</title></head>"
                        b"<body><h1>413</h1></body></html>"
                    )
                    self._send(413, html, {"Content-Type": "text/html"})
                elif isinstance(behaviour, Hang):
                    if behaviour.accept:
                        fake._record(body)
                    fake._stop.wait(behaviour.seconds)
                    self._drop()
                elif isinstance(behaviour, AcceptThenDrop):
                    fake._record(body)
                    self._drop()

            def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                headers = {"Content-Type": "application/json", **(headers or {})}
                self._send(status, json.dumps(payload).encode(), headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        return Handler


def _validate(body: Any) -> str | None:
    """The parts of SendGrid's own validation that a real send exercises."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return "The personalizations field is required"
    for p in personalizations:
        if not isinstance(p, dict) or not p.get("to"):
            return "The to array is required for all personalization objects"
    sender = body.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        return "The from object must be provided for every email send"
    if not body.get("template_id"):
        if not body.get("subject") and not all(p.get("subject") for p in personalizations):
            return "The subject is required"
        content = body.get("content")
        if not isinstance(content, list) or not content:
            return "Unless a valid template_id is provided, the content parameter is required"
    return None
