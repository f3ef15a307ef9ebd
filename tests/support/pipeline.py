"""Runs the real background processes (relay, Celery worker, beat) as subprocesses for a test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.support.servers import wait_for

PROCESS_ARGS = {
    "relay": ["relay"],
    "worker": ["worker", "--concurrency", "2", "--pool", "prefork"],
    "beat": ["beat"],
}


class Pipeline:
    """Start with `with Pipeline(env, log_dir) as p:`; `p.kill("worker")` SIGKILLs a whole worker."""

    def __init__(self, log_dir: Path, env: dict[str, str], names=("relay", "worker", "beat")) -> None:
        self.log_dir = log_dir
        self.env = {**os.environ, **env}
        self.names = names
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: list[Path] = []

    def start(self, name: str) -> subprocess.Popen:
        log_path = self.log_dir / f"{name}-{len(self.logs)}.log"
        self.logs.append(log_path)
        # Own process group: a kill takes the worker's pool children with it.
        proc = subprocess.Popen(
            [sys.executable, "-m", "careroute.cli", *PROCESS_ARGS[name]],
            env=self.env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        if name == "worker":
            # Ready when its pool children exist (the parent has connected and forked).
            wait_for(
                lambda: len(psutil.Process(proc.pid).children()) >= 2 or proc.poll() is not None,
                60,
                what="worker pool",
            )
            assert proc.poll() is None, self.read_logs()[-3000:]
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def warm_stop(self, name: str, timeout: float = 90) -> float:
        """SIGTERM to the main process only, as a deploy does: Celery's warm shutdown (running
        tasks finish, nothing new is taken). Seconds it took to exit."""
        proc = self.procs.pop(name)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.procs.clear()

    def read_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def __enter__(self) -> Pipeline:
        for name in self.names:
            self.start(name)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
