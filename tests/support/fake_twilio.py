"""A local HTTP server that speaks Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/
Messages.json`, form-encoded, HTTP Basic auth), for the real twilio client.

Like FakeSendGrid it runs in a thread on 127.0.0.1 and a free port, so a worker subprocess can
send to `.url` too. Queue behaviours for the next sends; when the queue is empty, Accept.

    with FakeTwilio() as tw:
        tw.enqueue(RateLimited(), Accept())
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.support.fake_sendgrid import AcceptThenDrop, ClientError, Hang, ServerError

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-not-a-secret"


@dataclass(frozen=True)
class Accept:
    """201 with a message resource (status "queued"); recorded in `.accepted`."""


@dataclass(frozen=True)
class RateLimited:
    """429, Twilio error 20429 (too many requests)."""


Behaviour = Accept | RateLimited | ServerError | ClientError | Hang | AcceptThenDrop


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[Behaviour] = deque()
        self._accepted: list[dict[str, str]] = []
        self._requests = 0
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread: threading.Thread | None = None

    def start(self) -> FakeTwilio:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Settings that point CareRoute's twilio backend here."""
        return {
            "CAREROUTE_SMS_BACKEND": "twilio",
            "CAREROUTE_TWILIO_ACCOUNT_SID": self.account_sid,
            "CAREROUTE_TWILIO_AUTH_TOKEN": self.auth_token,
            "CAREROUTE_TWILIO_BASE_URL": self.url,
            "CAREROUTE_TWILIO_TIMEOUT_SECONDS": "1",
        }

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    @property
    def accepted(self) -> list[dict[str, str]]:
        """Form fields of the messages taken (To, From, Body, StatusCallback) plus their Sid."""
        with self._lock:
            return list(self._accepted)

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    def wait_for_accepted(self, count: int, timeout: float = 10.0) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._accepted) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._accepted)} of {count} messages accepted")
                self._changed.wait(left)
            return list(self._accepted)

    def _next(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else Accept()

    def _record(self, fields: dict[str, str]) -> dict[str, str]:
        record = {**fields, "Sid": "SM" + uuid.uuid4().hex}
        with self._changed:
            self._accepted.append(record)
            self._changed.notify_all()
        return record

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        path = f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
        expected_auth = "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                with fake._lock:
                    fake._requests += 1
                if self.path != path:
                    return self._error(404, 20404, "The requested resource was not found")
                if self.headers.get("Authorization") != expected_auth:
                    return self._error(401, 20003, "Authenticate")
                fields = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                if not fields.get("To") or not fields.get("From") or not fields.get("Body"):
                    return self._error(400, 21604, "A 'To', 'From' and 'Body' are required")
                self._act(fake._next(), fields)

            def _act(self, behaviour: Behaviour, fields: dict[str, str]) -> None:
                if isinstance(behaviour, Accept):
                    record = fake._record(fields)
                    resource = {
                        "sid": record["Sid"],
                        "account_sid": fake.account_sid,
                        "to": fields["To"],
                        "from": fields["From"],
                        "body": fields["Body"],
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"{path[:-5]}/{record['Sid']}.json",
                    }
                    self._send(201, json.dumps(resource).encode())
                elif isinstance(behaviour, RateLimited):
                    self._error(429, 20429, "Too Many Requests")
                elif isinstance(behaviour, ServerError):
                    self._error(behaviour.status, 20500, "Internal Server Error")
                elif isinstance(behaviour, ClientError):
                    self._error(behaviour.status, 21211, "The 'To' number is not a valid phone number.")
                elif isinstance(behaviour, Hang):
                    if behaviour.accept:
                        fake._record(fields)
                    fake._stop.wait(behaviour.seconds)
                    self._drop()
                elif isinstance(behaviour, AcceptThenDrop):
                    fake._record(fields)
                    self._drop()

            def _error(self, status: int, code: int, message: str) -> None:
                body = {"code": code, "message": message, "more_info": "", "status": status}
                self._send(status, json.dumps(body).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
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


def signed_form_post(
    client, path: str, fields: dict[str, str], *, auth_token: str = AUTH_TOKEN, base_url: str | None = None
):
    """Post a form to our app as Twilio would: X-Twilio-Signature over public URL + fields."""
    from twilio.request_validator import RequestValidator

    from shared.settings import get_settings

    url = (base_url or get_settings().public_base_url).rstrip("/") + path
    signature = RequestValidator(auth_token).compute_signature(url, fields)
    return client.post(path, data=fields, headers={"X-Twilio-Signature": signature})
