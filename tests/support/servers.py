"""Real PostgreSQL and Redis for the suite.

The configured servers are used when they answer (development machines and CI have them). When
none answers, throwaway ones are started from the locally installed server binaries in a temporary
folder; when even those are missing, the run stops with one line saying what to install. Fault
tests start their own redis-server on a free port so they can stop it without touching the
machine's.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse


class MissingServer(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


class RedisServer:
    """A redis-server of our own that a test may stop and restart: without persistence (a restart
    forgets every queue) or with AOF fsynced on every write (production's setting)."""

    def __init__(self, port: int | None = None, persistence: bool = False) -> None:
        self.persistence = persistence
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise MissingServer("redis-server not found: install it (apt-get install redis-server)")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="careroute-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persistence else "no",
                "--appendfsync",
                "always",
                "--dir",
                self.dir,
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_answers("127.0.0.1", self.port), 10, what="redis-server")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # like a crash: nothing saved (persistence is off anyway)
            self.proc.wait(10)
        self.proc = None

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary folder (as `nobody` when we are root: initdb refuses root)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or (
            [shutil.which("initdb")] if shutil.which("initdb") else []
        )
        if not bins:
            raise MissingServer(
                "PostgreSQL server binaries not found: install postgresql (apt-get install postgresql)"
            )
        self.bindir = Path(bins[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="careroute-pg-"))
        self.data = self.dir / "data"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "nobody")
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> str:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "-l",
            str(self.dir / "log"),
            "start",
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def stop(self) -> None:
        """Like a crash: immediate shutdown, no checkpoint (recovery replays the WAL)."""
        self._pg_ctl("-m", "immediate", "-w", "stop")

    def restart(self) -> None:
        self._pg_ctl(
            "-w",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "-l",
            str(self.dir / "log"),
            "start",
        )

    def close(self) -> None:
        subprocess.run(
            ["runuser", "-u", "nobody", "--"] * (os.geteuid() == 0)
            + [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def ensure_postgres(admin_url: str) -> tuple[str, ThrowawayPostgres | None]:
    parsed = urlparse(admin_url.replace("+psycopg", ""))
    if port_answers(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        return admin_url, None
    server = ThrowawayPostgres()
    return server.start(), server


def ensure_redis(url: str) -> tuple[str, RedisServer | None]:
    parsed = urlparse(url)
    if port_answers(parsed.hostname or "127.0.0.1", parsed.port or 6379):
        return url, None
    server = RedisServer().start()
    return server.url, server
