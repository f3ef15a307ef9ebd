"""Intake under load: requests/s, p50/p99 and CPU per request of POST /v1/inquiries/web at
concurrency 16 and 64, with 1 and 2 uvicorn worker processes, against the baseline in the same
run: a plain FastAPI endpoint inserting the same rows (lead, contact, audit, outbox) in one
transaction (bench/skeleton.py). PostgreSQL + Redis on this machine (bench/prodshape.py).

Usage: .venv/bin/python bench/bench_intake_load.py [--seconds S] [--workers 1,2] [--concurrency 16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from prodshape import Connection, StandIn, form, percentile, temp_dir
from stacks import CareRouteStack, SkeletonStack


async def closed_loop(
    port: int, concurrency: int, seconds: float, start: int
) -> tuple[int, int, list[float]]:
    """`concurrency` clients each posting as soon as its last answer came: (202s, others, ms)."""
    stop = time.monotonic() + seconds
    counter = iter(range(start, start + 10**7))
    ok = bad = 0
    samples: list[float] = []

    async def client() -> None:
        nonlocal ok, bad
        conn = Connection(port)
        while time.monotonic() < stop:
            t = time.perf_counter()
            status, _ = await conn.post("/v1/inquiries/web", form(next(counter)))
            samples.append((time.perf_counter() - t) * 1000)
            ok, bad = (ok + 1, bad) if status == 202 else (ok, bad + 1)
        conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return ok, bad, samples


def measure(stack, concurrency: int, seconds: float, start: int) -> tuple[float, float, float, float, int]:
    asyncio.run(closed_loop(stack.port, concurrency, 2, start))  # warm: pools, caches, first imports
    cpu0 = stack.procs.cpu_seconds("api")
    began = time.monotonic()
    ok, bad, samples = asyncio.run(closed_loop(stack.port, concurrency, seconds, start + 10**6))
    elapsed = time.monotonic() - began
    cpu_ms = (stack.procs.cpu_seconds("api") - cpu0) * 1000 / max(ok + bad, 1)
    return ok / elapsed, percentile(samples, 50), percentile(samples, 99), cpu_ms, bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    args = parser.parse_args()
    log_dir = temp_dir()
    print(f"intake under load, {args.seconds:g} s per cell (logs in {log_dir})")
    print("  (the api process(es) alone: no relay or workers run, so only intake uses the CPU)")
    for workers in args.workers:
        standin = StandIn(log_dir)
        rows = {}
        for make in (SkeletonStack, CareRouteStack):
            stack = make(log_dir, standin, api_workers=workers).start(workers=False)
            if make is SkeletonStack:
                stack.procs.stop("relay")  # the baseline's api alone, as for CareRoute
            else:
                for name in ("relay", "relay-crisis", "beat"):
                    stack.procs.stop(name)
            try:
                for n, c in enumerate(args.concurrency):
                    rows[(stack.name, c)] = measure(stack, c, args.seconds, n * 10**7)
            finally:
                stack.stop()
        standin.stop()
        for c in args.concurrency:
            b = rows[("skeleton", c)]
            r = rows[("careroute", c)]
            print(f"\n  {workers} uvicorn worker(s), concurrency {c}")
            for name, (rps, p50, p99, cpu, bad) in (("baseline", b), ("careroute", r)):
                print(f"    {name:9} {rps:7.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                      f"CPU {cpu:5.1f} ms/request  non-202 {bad}")  # fmt: skip
            print(f"    ratio     {r[0] / b[0]:7.2f}x throughput   {r[3] / b[3]:5.2f}x CPU per request")


if __name__ == "__main__":
    main()
