"""Lane workers: only the lanes that classify load spaCy; a worker is warm before it says ready,
and a readiness file left by an earlier run does not make a new worker look ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.support.servers import wait_for


def _start(lane: str, ready: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careroute.cli",
            "worker",
            "--lane",
            lane,
            "--concurrency",
            "1",
            "--ready-file",
            str(ready),
        ],
        env=dict(os.environ),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _ready(ready: Path) -> int:
    return subprocess.run(
        [sys.executable, "-m", "careroute.cli", "worker-ready", "--ready-file", str(ready)],
        env=dict(os.environ),
        capture_output=True,
    ).returncode


def _maps_spacy(pid: int) -> bool:
    """Whether spaCy's compiled modules are mapped into the process (it was imported)."""
    return "/spacy/" in Path(f"/proc/{pid}/maps").read_text()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_classify_lane_worker_loads_the_classifier_before_it_reports_ready(tmp_path):
    ready = tmp_path / "classify.ready"
    # A file a crashed worker left behind, naming a pid that is not running: not ready.
    ready.write_text("pid=999999999 queues=classify classifier=loaded\n")
    assert _ready(ready) == 1
    proc = _start("classify", ready, tmp_path / "classify.log")
    try:
        wait_for(
            lambda: ready.exists() and "pid=999999999" not in ready.read_text() or proc.poll() is not None,
            120,
            what="the classify worker's readiness",
        )
        assert proc.poll() is None, (tmp_path / "classify.log").read_text()[-3000:]
        content = ready.read_text()
        assert f"pid={proc.pid}" in content and "classifier=loaded" in content and "database=ok" in content
        assert _ready(ready) == 0
        # The pool child inherited the loaded model from the parent: it has spaCy without a task.
        children = psutil.Process(proc.pid).children()
        assert children and all(_maps_spacy(child.pid) for child in children)
    finally:
        _stop(proc)
    assert not ready.exists(), "a stopped worker withdraws its readiness"


def test_route_and_notify_lane_workers_never_load_spacy(tmp_path):
    ready = tmp_path / "route.ready"
    proc = _start("route,notify", ready, tmp_path / "route.log")
    try:
        wait_for(lambda: ready.exists() or proc.poll() is not None, 120, what="the route worker's readiness")
        assert proc.poll() is None, (tmp_path / "route.log").read_text()[-3000:]
        content = ready.read_text()
        assert "queues=notify,route" in content and "classifier" not in content
        assert "database=ok" in content  # the lane's reads and templates warmed without error
        processes = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children())]
        assert len(processes) >= 2
        assert not any(_maps_spacy(pid) for pid in processes)
    finally:
        _stop(proc)
