"""The end-to-end benchmark still runs (tiny numbers: it proves the harness, it times nothing).

`make bench` runs it for real; here both stacks (CareRoute's processes and the skeleton) start on
this machine's PostgreSQL and Redis, take ten leads, email every one, and stop cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def _admin_url() -> str:
    from tests.conftest import _state

    return _state["admin_url"]


def _bench_databases() -> set[str]:
    with psycopg.connect(_admin_url().replace("postgresql+psycopg", "postgresql")) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench_%'")}


def test_pipeline_bench_emails_every_lead_on_both_stacks_and_cleans_up():
    before = _bench_databases()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREROUTE_")}
    env["CAREROUTE_BENCH_DATABASE_ADMIN_URL"] = _admin_url()
    env["CAREROUTE_BENCH_REDIS_URL"] = os.environ["CAREROUTE_BROKER_URL"]
    done = subprocess.run(
        [
            sys.executable,
            "bench/bench_pipeline.py",
            "rates",
            "--seconds",
            "2",
            "--rates",
            "5",
            "--drain",
            "90",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    for stack in ("skeleton", "careroute"):
        assert f"{stack}: 10/10 answered 202" in out, out[-3000:]
    assert out.count("all       emailed    10/10") == 2, out[-3000:]
    assert "worker-classify" in out and "RSS" in out
    assert _bench_databases() <= before, "the bench drops its databases"
