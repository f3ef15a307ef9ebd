"""Start and stop the two stacks the end-to-end benchmarks compare: CareRoute in its production
shape (api, relay, a worker per lane, beat) and the bare skeleton of the same hops (skeleton.py)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from prodshape import (
    REDIS_URL,
    ROOT,
    Database,
    Processes,
    StandIn,
    careroute_env,
    free_port,
    prepare_careroute,
    wait_port,
)

LANES = {  # lane -> prefork processes (2 cores: the stages that wait on I/O get more)
    "crisis": 1,
    "classify": 2,
    "route": 2,
    "notify": 2,
    "maintenance": 1,
}


BULK_NICE = 5


class CareRouteStack:
    name = "careroute"

    def __init__(
        self, log_dir: Path, standin: StandIn, api_workers: int = 1, lanes: dict | None = None
    ) -> None:
        self.db = Database("bench_cr")
        self.port = free_port()
        self.var_dir = log_dir / f"var-{self.db.name}"
        self.env = careroute_env(self.db, standin, self.var_dir, self.port)
        self.procs = Processes(self.env, log_dir)
        self.api_workers = api_workers
        self.lanes = dict(LANES if lanes is None else lanes)
        try:
            prepare_careroute(self.env, log_dir)
        except BaseException:
            self.db.drop()
            raise

    def start(self, api: bool = True, workers: bool = True) -> CareRouteStack:
        if api:
            self.procs.careroute("api", "api", "--workers", str(self.api_workers))
            self.procs.careroute("relay", "relay")
            self.procs.careroute("relay-crisis", "relay", "--lane", "crisis")
            self.procs.careroute("beat", "beat")
            wait_port(self.port)
        if workers:
            self.start_workers(self.lanes)
        return self

    def start_workers(self, lanes: dict[str, int]) -> float:
        """Start lane workers and wait until every one has written its readiness file; the seconds it took."""
        started = time.monotonic()
        for lane, count in lanes.items():
            # Classify and notify yield the CPU to the crisis lane, the API and the sweeps. Never the
            # route lane: a decision holds the directory lock, and a starved holder would keep the
            # crisis lane's decision waiting behind it (priority inversion, measured: 80 s).
            nice = str(BULK_NICE) if lane in ("classify", "notify") else "0"
            self.procs.careroute(
                f"worker-{lane}", "worker", "--lane", lane, "--concurrency", str(count), "--nice", nice
            )
        ready_dir = self.var_dir / "run"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if all((ready_dir / f"worker-{lane}.ready").exists() for lane in lanes):
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError("workers did not report ready")

    def stop_workers(self) -> None:
        for name in [n for n in self.procs.procs if n.startswith("worker-")]:
            self.procs.stop(name)

    def stop(self) -> None:
        self.procs.stop()
        self._forget_broker()
        self.db.drop()

    def _forget_broker(self) -> None:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{self.db.name}:*"):
            client.delete(key)


class SkeletonStack:
    name = "skeleton"

    def __init__(self, log_dir: Path, standin: StandIn, api_workers: int = 1, concurrency: int = 4) -> None:
        import os

        self.db = Database("bench_sk")
        self.port = free_port()
        self.env = {
            **os.environ,
            "SKELETON_DB": self.db.url,
            "SKELETON_BROKER": REDIS_URL,
            "SKELETON_PREFIX": f"{self.db.name}:",  # its own keys in the shared Redis
            "SKELETON_PORT": str(self.port),
            "SKELETON_SENDGRID": standin.url,
            "SKELETON_WORKERS": str(api_workers),
            "SKELETON_CONCURRENCY": str(concurrency),
            "PYTHONPATH": str(ROOT / "bench"),
        }
        self.procs = Processes(self.env, log_dir)

    def start(self, api: bool = True, workers: bool = True) -> SkeletonStack:
        script = str(ROOT / "bench" / "skeleton.py")
        if api:
            self.procs.start("api", [sys.executable, script, "api"])
            wait_port(self.port)
            self.procs.start("relay", [sys.executable, script, "relay"])
        if workers:
            self.procs.start("worker", [sys.executable, script, "worker"])
            time.sleep(3)  # no readiness signal: the skeleton has nothing to warm
        return self

    def stop(self) -> None:
        import redis

        self.procs.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{self.db.name}:*"):
            client.delete(key)
        self.db.drop()
