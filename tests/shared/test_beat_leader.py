"""Two real `careroute beat` processes on one Redis: the leader lock lets only one send each job.

Nothing consumes the maintenance queue here, so every message beat sends stays in its Redis list
and can be counted; each carries `expires` = send time + the entry's expiry, which dates it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import redis

from shared import tasks
from tests.support.servers import wait_for

pytestmark = pytest.mark.e2e

INTERVAL = 1.0  # the stuck-lead sweep, so a duplicate schedule shows within seconds
LOCK_TIMEOUT = 5


def _start_beat(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "careroute.cli", "beat"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _sweep_send_times(client: redis.Redis, queue_key: str) -> list[datetime]:
    """When each queued stuck-lead sweep was sent (its `expires` less the entry's expiry)."""
    times = []
    for raw in client.lrange(queue_key, 0, -1):
        headers = json.loads(raw)["headers"]
        if headers["task"] == tasks.SWEEP_STUCK_LEADS:
            times.append(datetime.fromisoformat(headers["expires"]) - timedelta(seconds=INTERVAL * 4))
    return sorted(times)


def _closest_gap(times: list[datetime]) -> float:
    return min((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False))


def test_two_schedulers_send_each_job_once_and_the_standby_takes_over_when_the_leader_dies(tmp_path):
    prefix = f"careroute-beat-{uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "CAREROUTE_BROKER_KEY_PREFIX": prefix,
        "CAREROUTE_SWEEP_INTERVAL_SECONDS": str(INTERVAL),
        "CAREROUTE_BEAT_LOCK_TIMEOUT_SECONDS": str(LOCK_TIMEOUT),
        "CAREROUTE_VAR_DIR": str(tmp_path),
    }
    client = redis.Redis.from_url(os.environ["CAREROUTE_BROKER_URL"])
    queue_key = f"{prefix}{tasks.MAINTENANCE_QUEUE}"
    logs = [tmp_path / "beat-a.log", tmp_path / "beat-b.log"]
    procs = [_start_beat(env, logs[0]), _start_beat(env, logs[1])]
    try:
        # One of them takes the lock; the other waits on it.
        wait_for(lambda: len(_sweep_send_times(client, queue_key)) >= 8, 60, what="eight sweeps")
        leaders = [i for i, log in enumerate(logs) if "Acquired lock" in log.read_text(errors="replace")]
        assert len(leaders) == 1, [log.read_text(errors="replace")[-2000:] for log in logs]
        sent = _sweep_send_times(client, queue_key)
        # Two schedulers would each send every second: pairs a few milliseconds apart.
        assert _closest_gap(sent) > INTERVAL * 0.5, sent
        span = (sent[-1] - sent[0]).total_seconds()
        assert len(sent) <= span / INTERVAL + 2, f"{len(sent)} sweeps in {span:.1f}s"

        # The leader dies without releasing the lock: the standby takes over once it expires.
        leader, standby = procs[leaders[0]], procs[1 - leaders[0]]
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait(10)
        killed_at = time.monotonic()
        before = len(sent)
        wait_for(
            lambda: "Acquired lock" in logs[1 - leaders[0]].read_text(errors="replace"),
            LOCK_TIMEOUT * 4,
            what="the standby to take the lock",
        )
        took_over = time.monotonic() - killed_at
        wait_for(lambda: len(_sweep_send_times(client, queue_key)) >= before + 3, 30, what="more sweeps")
        assert standby.poll() is None
        after = _sweep_send_times(client, queue_key)
        assert _closest_gap(after) > INTERVAL * 0.5, after
        print(f"\nbeat failover: standby took the lock {took_over:.1f}s after SIGKILL (lock {LOCK_TIMEOUT}s)")
        assert took_over < LOCK_TIMEOUT + 5
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
