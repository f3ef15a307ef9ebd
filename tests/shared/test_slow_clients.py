"""A slow client cannot hold the server: real uvicorn (the options `careroute api` uses) on a
loopback port, and a real socket that sends nothing, or dribbles its head or its body."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import uvicorn

from shared.http.server import uvicorn_options
from shared.settings import get_settings, reset_settings_cache
from tests.factories import web_form

TIMEOUT = 1.0


@pytest.fixture
def live_port(db, monkeypatch):
    from careroute.asgi import build_app

    monkeypatch.setenv("CAREROUTE_HEADER_READ_TIMEOUT_SECONDS", str(TIMEOUT))
    monkeypatch.setenv("CAREROUTE_BODY_READ_TIMEOUT_SECONDS", str(TIMEOUT))
    reset_settings_cache()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = {**uvicorn_options(get_settings()), "host": "127.0.0.1", "port": port, "lifespan": "off"}
    server = uvicorn.Server(uvicorn.Config(build_app(), **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(10)
    monkeypatch.undo()
    reset_settings_cache()


def dribble(
    port: int, head: bytes, trickle: bytes, every: float = 0.2, limit: float = 8.0
) -> tuple[bytes, float]:
    """Send `head` at once, then `trickle` one byte at a time until the server closes the connection.
    A reader thread takes the answer as soon as it arrives (a byte sent after the server closed
    would be answered with a reset, which may discard an answer not yet read).
    Returns (everything the server sent, seconds from connect to the server closing)."""
    received = bytearray()
    closed_at: list[float] = []
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as conn:

        def read() -> None:
            try:
                while chunk := conn.recv(65536):
                    received.extend(chunk)
            except OSError:
                pass
            closed_at.append(time.monotonic() - started)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            if head:
                conn.sendall(head)
            for byte in trickle:
                reader.join(every)
                if not reader.is_alive() or time.monotonic() - started > limit:
                    break
                conn.sendall(bytes([byte]))
        except OSError:
            pass  # the server closed while we were still sending: that is the point
        reader.join(limit)
    assert closed_at, "the server never closed the connection"
    return bytes(received), closed_at[0]


def status_and_body(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body) if body else {}


def test_an_idle_connection_is_closed_with_408_after_the_header_timeout(live_port):
    raw, seconds = dribble(live_port, b"", b"")
    status, body = status_and_body(raw)
    assert status == 408 and body["code"] == "header_read_timeout"
    assert b"application/problem+json" in raw
    assert TIMEOUT * 0.9 <= seconds < TIMEOUT + 3


def test_a_head_dribbled_a_byte_at_a_time_gets_408_at_the_deadline_not_when_it_ends(live_port):
    head = b"POST /v1/inquiries/web HTTP/1.1\r\nHost: careroute.test\r\n"
    raw, seconds = dribble(live_port, head, b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
    status, body = status_and_body(raw)
    assert status == 408 and body["code"] == "header_read_timeout"
    assert seconds < TIMEOUT + 3  # 200+ bytes at 5 a second would take 40 s


def test_a_body_dribbled_a_byte_at_a_time_gets_408_at_the_deadline(live_port):
    payload = json.dumps(web_form()).encode()
    head = (
        b"POST /v1/inquiries/web HTTP/1.1\r\nHost: careroute.test\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(payload)).encode() + b"\r\n\r\n"
    )
    raw, seconds = dribble(live_port, head, payload)
    status, body = status_and_body(raw)
    assert status == 408 and body["code"] == "body_read_timeout"
    assert b"connection: close" in raw.lower()
    assert seconds < TIMEOUT + 3


@pytest.mark.parametrize("finished", [True, False], ids=["complete-head", "head-still-arriving"])
def test_an_oversized_head_gets_431_problem_json(live_port, finished):
    """A complete head is refused by the edge middleware; one still arriving past the server's
    buffer by the protocol itself."""
    huge = b"X-Big: " + b"a" * (get_settings().max_header_bytes + 16 * 1024) + b"\r\n"
    head = b"GET /healthz HTTP/1.1\r\nHost: careroute.test\r\n" + huge + (b"\r\n" if finished else b"")
    raw, _seconds = dribble(live_port, head, b"" if finished else b"X-More: 1\r\n")
    status, body = status_and_body(raw)
    assert status == 431 and body["code"] == "headers_too_large"


def test_a_prompt_client_is_served_and_can_keep_its_connection(live_port):
    payload = json.dumps(web_form()).encode()
    request = (
        b"POST /v1/inquiries/web HTTP/1.1\r\nHost: careroute.test\r\ncontent-type: application/json\r\n"
        b"content-length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
    )
    with socket.create_connection(("127.0.0.1", live_port), timeout=10) as conn:
        conn.sendall(request)
        first = read_response(conn)
        time.sleep(TIMEOUT * 1.5)  # idle between requests is the keep-alive timer's business (5 s)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: careroute.test\r\n\r\n")
        second = read_response(conn)
    assert first.startswith(b"HTTP/1.1 202") and b"content-security-policy" in first.lower()
    assert second.startswith(b"HTTP/1.1 200")


def read_response(conn: socket.socket) -> bytes:
    """One whole response on a kept-alive connection: the head, then content-length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body
