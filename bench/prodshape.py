"""The production shape for the end-to-end benchmarks: PostgreSQL + Redis on this machine, and
every CareRoute process (api, relay, one worker per lane, beat) as its own OS process.

Also the pieces every such bench needs: a throwaway database, a SendGrid stand-in, a light
asyncio HTTP/1.1 client (so the load generator costs little of the 2 cores it shares), RSS and
CPU of the processes, and the percentile helpers. Settings: CAREROUTE_BENCH_DATABASE_ADMIN_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres), CAREROUTE_BENCH_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "CAREROUTE_BENCH_DATABASE_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("CAREROUTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

# Twenty coordinators always on shift, at the 500-lead capacity limit each (10,000 leads a run), everyone on call: the bench measures the
# pipeline, not who happens to be working.
DIRECTORY = (
    "timezone: America/Los_Angeles\ncoordinators:\n"
    + "".join(
        f"  - {{name: Bench {i}, email: bench{i}@clinic.example, specialties: [depression],"
        f" languages: [en, es], capacity: {{open: 500, per_day: 500}}}}\n"
        for i in range(20)
    )
    + (
        "on_call:\n  layers:\n    - {name: all, start: 2026-01-05T09:00:00-08:00, shift_hours: 168,"
        " members: [" + ", ".join(f"bench{i}@clinic.example" for i in range(20)) + "]}\n"
    )
)
RULES = """pools:
  everyone: {}
rules:
  - {name: crisis-on-call, when: {urgency: [crisis]}, route: {pool: on_call, strategy: round_robin, fallback: everyone}}
  - {name: default, route: {pool: everyone, strategy: round_robin}}
sla: {crisis_minutes: 5, urgent_minutes: 60, routine: next_business_day_end}
"""

TEXTS = {
    "routine": "Years of depression, nothing has worked. Is ketamine an option?",
    "urgent": "I have been having passive thoughts that everyone would be better off without me, but I"
    " have no plan. Depression for years.",
    "crisis": "I want to kill myself tonight, I have the pills ready.",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def form(i: int, urgency: str = "routine") -> bytes:
    """A web inquiry; the number makes each one distinct (an identical one is a duplicate)."""
    return json.dumps(
        {
            "name": f"Bench Person {i}",
            "phone": f"+1 949 555 {i % 10000:04d}",
            "email": f"bench{i}@example.com",
            "message": f"{TEXTS[urgency]} ({i})",
            "consent_to_contact": True,
        }
    ).encode()


class Database:
    """A throwaway PostgreSQL database, dropped at the end."""

    def __init__(self, prefix: str = "bench") -> None:
        self.name = f"{prefix}_{secrets.token_hex(4)}"
        self.admin = ADMIN_URL.replace("+psycopg", "")
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base = ADMIN_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"  # SQLAlchemy form
        self.dsn = self.url.replace("+psycopg", "")  # psycopg form

    def drop(self) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class StandIn:
    """bench/sendgrid_standin.py in its own process; `accepted()` reads reference -> first time."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log = log_dir / f"sendgrid-{self.port}.log"
        self.log.touch()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "sendgrid_standin.py"), str(self.port), str(self.log)]
        )
        wait_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accepted(self) -> dict[str, float]:
        first: dict[str, float] = {}
        copies: dict[str, int] = {}
        for line in self.log.read_text().splitlines():
            stamp, _, reference = line.partition(" ")
            first.setdefault(reference, float(stamp))
            copies[reference] = copies.get(reference, 0) + 1
        self.copies = copies
        return first

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


class Processes:
    """Named OS processes (each in its own session), with RSS/CPU readings and a clean stop."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def careroute(self, name: str, *args: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, "-m", "careroute.cli", *args])

    def tree(self, name: str) -> list[psutil.Process]:
        root = psutil.Process(self.procs[name].pid)
        return [root, *root.children(recursive=True)]

    def cpu_seconds(self, name: str) -> float:
        total = 0.0
        for p in self.tree(name):
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def memory(self) -> list[tuple[str, int, float, float]]:
        """(name, process count, RSS MiB, USS MiB) per named process tree."""
        rows = []
        for name in self.procs:
            rss = uss = 0.0
            tree = self.tree(name)
            for p in tree:
                info = p.memory_full_info()
                rss, uss = rss + info.rss, uss + info.uss
            rows.append((name, len(tree), rss / 2**20, uss / 2**20))
        return rows

    def stop(self, name: str | None = None) -> None:
        names = [name] if name else list(self.procs)
        for n in names:
            proc = self.procs[n]
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for n in names:
            proc = self.procs.pop(n)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def careroute_env(db: Database, standin: StandIn, var_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "CAREROUTE_ENV": "production",
        "CAREROUTE_SECRET_KEY": secrets.token_urlsafe(48),
        "CAREROUTE_PHI_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "CAREROUTE_PHI_ACTIVE_KEY_ID": "k1",
        "CAREROUTE_DATABASE_URL": db.url,
        "CAREROUTE_BROKER_URL": REDIS_URL,
        "CAREROUTE_BROKER_KEY_PREFIX": f"{db.name}:",
        "CAREROUTE_EMAIL_BACKEND": "sendgrid",
        "CAREROUTE_SENDGRID_API_KEY": "SG.bench.not-a-secret",
        "CAREROUTE_SENDGRID_HOST": standin.url,
        "CAREROUTE_VAR_DIR": str(var_dir),
        "CAREROUTE_PORT": str(port),
        "CAREROUTE_LOG_LEVEL": "WARNING",
        "CAREROUTE_LOG_FORMAT": "json",
        "CAREROUTE_RATE_LIMIT_PUBLIC_FORM": "100000000/minute",
    }


def prepare_careroute(env: dict[str, str], log_dir: Path) -> None:
    """Migrate and load the bench directory and rules (the CLI, as an operator would)."""
    for name, text in (("directory.yaml", DIRECTORY), ("rules.yaml", RULES)):
        (log_dir / name).write_text(text)
    for args in (
        ["migrate"],
        ["directory", "import", str(log_dir / "directory.yaml")],
        ["rules", "import", str(log_dir / "rules.yaml")],
    ):
        done = subprocess.run([sys.executable, "-m", "careroute.cli", *args], env=env, capture_output=True)
        if done.returncode:
            raise RuntimeError(
                f"careroute {' '.join(args)}: {done.stdout.decode()[-2000:]} {done.stderr.decode()[-2000:]}"
            )


def temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="careroute-bench-"))


# --- a light HTTP/1.1 client ------------------------------------------------------------------


class Connection:
    """One kept-alive connection posting JSON; returns (status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(
                    f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()  # the server closed a kept-alive connection: reconnect once
                if attempt:
                    raise
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
