"""End-to-end on the production shape: POST → the SendGrid stand-in accepted the coordinator's
email, for CareRoute and, in the same run, a bare skeleton of the same hops (bench/skeleton.py).

  rates    steady offered rates (default 20, 50, 100 leads/s for 60 s; 5% crisis, 20% urgent):
           202s, emails accepted, p50/p99 POST → accepted by urgency, ratio to the skeleton
  crisis   a crisis lead's POST → accepted while 2,000 routine leads are queued
  scale    1, 2 and 4 worker processes per lane: leads/s through classify → route → notify, with
           no double assignment and a fair round robin checked at each
  coldstart  the first lead after the workers report ready against the next five
  memory   resident memory per process (printed after `rates`)

Usage: .venv/bin/python bench/bench_pipeline.py [rates|crisis|scale|all] [--seconds S] [--rates 20,50]
       [--backlog N] [--batch N] [--drain S]. PostgreSQL and Redis on this machine (bench/prodshape.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import psycopg
from prodshape import Connection, StandIn, form, percentile, temp_dir
from stacks import CareRouteStack, SkeletonStack


def urgency_of(i: int) -> str:
    return "crisis" if i % 20 == 0 else "urgent" if i % 5 == 1 else "routine"


async def offer(
    port: int, rate: float, count: int, urgency=urgency_of, start: int = 0, conns: int = 64
) -> list:
    """Open loop: POST `count` leads at `rate`/s whatever the answers' speed. [(ref, urgency, t, status, lead_id)]."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(Connection(port))
    sent: list = []

    async def one(i: int) -> None:
        conn = await pool.get()
        kind = urgency(i)
        t = time.time()
        try:
            status, body = await conn.post("/v1/inquiries/web", form(start + i, kind))
        except (ConnectionError, asyncio.IncompleteReadError):
            status, body = 0, b"{}"
            conn.close()
        pool.put_nowait(conn)
        data = json.loads(body or b"{}") if status == 202 else {}
        sent.append((data.get("reference"), kind, t, status, data.get("lead_id")))

    t0 = time.monotonic()
    tasks = []
    for i in range(count):
        delay = t0 + (i / rate if rate else 0) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    for _ in range(conns):
        (await pool.get()).close()
    return sent


def drain(standin: StandIn, sent: list, seconds: float) -> dict[str, float]:
    """Wait until every accepted lead's email arrived or `seconds` passed; reference -> time."""
    wanted = {ref for ref, *_ in sent if ref}
    deadline = time.time() + seconds
    while True:
        accepted = standin.accepted()
        if wanted <= accepted.keys() or time.time() > deadline:
            return accepted
        time.sleep(0.5)


def latencies(sent: list, accepted: dict[str, float]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"all": []}
    for ref, kind, t, status, _ in sent:
        if status == 202 and ref in accepted:
            ms = (accepted[ref] - t) * 1000
            out["all"].append(ms)
            out.setdefault(kind, []).append(ms)
    return out


def line(label: str, values: list[float], total: int, base: list[float] | None = None) -> str:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    text = f"    {label:9} emailed {len(values):5}/{total:<5} p50 {p50:8.0f} ms  p99 {p99:8.0f} ms"
    if base:
        text += f"   ({p50 / percentile(base, 50):5.1f}x / {p99 / percentile(base, 99):5.1f}x the skeleton)"
    return text


def run_rates(args, log_dir) -> None:
    for rate in args.rates:
        count = int(rate * args.seconds)
        results, cpu = {}, {}
        for make in (SkeletonStack, CareRouteStack):
            standin = StandIn(log_dir)
            stack = make(log_dir, standin).start()
            try:
                cpu0 = {name: stack.procs.cpu_seconds(name) for name in stack.procs.procs}
                began = time.time()
                sent = asyncio.run(offer(stack.port, rate, count))
                offered_for = time.time() - began
                accepted = drain(standin, sent, args.drain)
                cpu[stack.name] = {
                    n: (stack.procs.cpu_seconds(n) - c) * 1000 / count for n, c in cpu0.items()
                }
                late = [accepted[r] - began - offered_for for r, *_ in sent if r in accepted]
                results[stack.name] = (sent, latencies(sent, accepted), offered_for, max(late or [0]))
                if make is CareRouteStack and rate == args.rates[-1]:
                    memory = stack.procs.memory()
            finally:
                stack.stop()
                standin.stop()
        print(f"\n  {rate} leads/s offered for {args.seconds:g} s ({count} leads)")
        base = results["skeleton"][1]
        for name, (sent, lat, offered_for, last) in results.items():
            ok = sum(1 for s in sent if s[3] == 202)
            print(
                f"  {name}: {ok}/{count} answered 202 in {offered_for:.1f} s; last email {last:+.1f} s after the load"
            )
            for kind in ("all", "crisis", "urgent", "routine"):
                total = sum(1 for s in sent if kind in ("all", s[1]))
                print(line(kind, lat.get(kind, []), total, base.get(kind) if name == "careroute" else None))
            per = "  ".join(f"{n} {ms:.1f}" for n, ms in cpu[name].items())
            print(f"    CPU ms per lead: {per}  (total {sum(cpu[name].values()):.1f})")
    print("\n  resident memory per process (CareRoute, after the last rate)")
    for name, n, rss, uss in memory:
        print(f"    {name:20} {n} process(es)  RSS {rss:7.1f} MiB  USS {uss:7.1f} MiB")


def run_crisis(args, log_dir) -> None:
    print(f"\n  a crisis lead while {args.backlog} routine leads are queued (5 crisis leads, 1 s apart)")
    for make in (SkeletonStack, CareRouteStack):
        standin = StandIn(log_dir)
        stack = make(log_dir, standin).start()
        try:
            backlog = asyncio.run(offer(stack.port, 0, args.backlog, urgency=lambda i: "routine", conns=32))
            crisis = asyncio.run(offer(stack.port, 1, 5, urgency=lambda i: "crisis", start=10**6, conns=5))
            accepted = drain(standin, crisis, 120)
            lat = latencies(crisis, accepted)["all"]
            queued = len(backlog) - sum(1 for ref, *_ in backlog if ref in accepted)
            print(f"  {stack.name:9} crisis POST → accepted p50 {percentile(lat, 50):7.0f} ms  max "
                  f"{max(lat or [float('nan')]):7.0f} ms  ({len(lat)}/5 emailed; {queued} routine still queued then)")  # fmt: skip
        finally:
            stack.stop()
            standin.stop()


def check_assignments(dsn: str, lead_ids: list[str]) -> tuple[int, dict[str, int]]:
    with psycopg.connect(dsn) as conn:
        doubles = conn.execute(
            "SELECT count(*) FROM (SELECT lead_id FROM assignment WHERE lead_id = ANY(%s::uuid[]) AND step = 0"
            " GROUP BY lead_id HAVING count(*) > 1) d", (lead_ids,)).fetchone()[0]  # fmt: skip
        per = dict(conn.execute(
            "SELECT coordinator_id::text, count(*) FROM assignment WHERE lead_id = ANY(%s::uuid[])"
            " GROUP BY coordinator_id", (lead_ids,)).fetchall())  # fmt: skip
    return doubles, per


def run_scale(args, log_dir) -> None:
    print(f"\n  worker processes per lane: {args.batch} routine leads queued, then the workers start")
    base_rate = None
    standin = StandIn(log_dir)
    stack = CareRouteStack(log_dir, standin).start(workers=False)
    try:
        for n, k in enumerate((1, 2, 4)):
            sent = asyncio.run(
                offer(stack.port, 0, args.batch, urgency=lambda i: "routine", start=n * 10**5, conns=16)
            )
            lanes = {lane: k for lane in ("classify", "route", "notify")} | {"maintenance": 1}
            warm = stack.start_workers(lanes)
            began = time.time()
            accepted = drain(standin, sent, 300)
            done = [accepted[r] for r, *_ in sent if r in accepted]
            rate = len(done) / max(max(done) - began, 1e-3) if done else 0.0
            base_rate = base_rate or rate
            doubles, per = check_assignments(stack.db.dsn, [s[4] for s in sent if s[4]])
            copies = max(standin.copies.get(r, 0) for r, *_ in sent if r)
            spread = max(per.values()) - min(per.values()) if per else -1
            print(f"    {k} per lane: {rate:6.1f} leads/s ({rate / base_rate:4.2f}x)  warm {warm:4.1f} s  "
                  f"emailed {len(done)}/{len(sent)}  double assignments {doubles}  "
                  f"round robin {sorted(per.values())} (spread {spread})  most copies {copies}")  # fmt: skip
            stack.stop_workers()
    finally:
        stack.stop()
        standin.stop()


def run_coldstart(args, log_dir) -> None:
    print("\n  the first lead after the workers report ready, then 5 more one at a time (routine)")
    standin = StandIn(log_dir)
    stack = CareRouteStack(log_dir, standin).start(workers=False)
    try:
        warm = stack.start_workers(stack.lanes)
        times = []
        for i in range(6):
            sent = asyncio.run(
                offer(stack.port, 0, 1, urgency=lambda _: "routine", start=7 * 10**6 + i, conns=1)
            )
            times += latencies(sent, drain(standin, sent, 60))["all"]
        rest = sorted(times[1:])
        print(f"    ready after {warm:.1f} s; first lead {times[0]:6.0f} ms; the next five median "
              f"{rest[len(rest) // 2]:6.0f} ms ({times[0] / rest[len(rest) // 2]:.2f}x)")  # fmt: skip
    finally:
        stack.stop()
        standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "what", nargs="?", default="all", choices=["rates", "crisis", "scale", "coldstart", "all"]
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[20.0, 50.0, 100.0]
    )
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--drain", type=float, default=120)
    args = parser.parse_args()
    log_dir = temp_dir()
    print(f"pipeline benchmarks (logs in {log_dir})")
    if args.what in ("rates", "all"):
        run_rates(args, log_dir)
    if args.what in ("crisis", "all"):
        run_crisis(args, log_dir)
    if args.what in ("scale", "all"):
        run_scale(args, log_dir)
    if args.what in ("coldstart", "all"):
        run_coldstart(args, log_dir)


if __name__ == "__main__":
    main()
