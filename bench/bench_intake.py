"""How fast does intake acknowledge an inquiry? Prints latency of POST /v1/inquiries/web against a
baseline measured in the same run: GET /healthz on the same server (the HTTP stack alone).

Runs a real uvicorn server in a subprocess on a free port, on the embedded SQLite default unless
CAREROUTE_DATABASE_URL points elsewhere. Usage: .venv/bin/python bench/bench_intake.py [N]
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

FORM = {
    "name": "Bench Person",
    "phone": "+1 949 555 0100",
    "email": "bench@example.com",
    "message": "Years of depression, nothing has worked. Is ketamine an option?",
    "consent_to_contact": True,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(call, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="careroute-bench-")
    env = {
        **os.environ,
        "CAREROUTE_PORT": str(port),
        "CAREROUTE_VAR_DIR": var_dir,
        "CAREROUTE_LOG_LEVEL": "WARNING",
        # One client posting hundreds of forms: measure intake, not the public form's rate limit.
        "CAREROUTE_RATE_LIMIT_PUBLIC_FORM": "1000000/minute",
    }
    subprocess.run(
        [sys.executable, "-m", "careroute.cli", "migrate"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "careroute.cli", "api"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            headers = {"content-type": "application/json"}
            counter = iter(range(10**9))

            def post():  # a different message each time: an identical one is answered as a duplicate
                body = json.dumps({**FORM, "message": f"{FORM['message']} ({next(counter)})"})
                return client.post("/v1/inquiries/web", content=body, headers=headers)

            timed(post, 20)  # warm
            baseline = timed(lambda: client.get("/healthz"), n)
            intake = timed(post, n)
    finally:
        server.terminate()
        server.wait(10)
    db = env.get("CAREROUTE_DATABASE_URL", "sqlite (embedded default)").split("@")[-1]
    b50, b95 = summary(baseline)
    i50, i95 = summary(intake)
    print(f"intake acknowledgement, {n} sequential requests, database: {db}")
    print(f"  baseline GET /healthz          p50 {b50:6.2f} ms   p95 {b95:6.2f} ms")
    print(f"  POST /v1/inquiries/web (202)   p50 {i50:6.2f} ms   p95 {i95:6.2f} ms")
    print(f"  ratio to baseline              p50 {i50 / b50:6.1f}x    p95 {i95 / b95:6.1f}x")
    print("  (the 202 includes the rate-limit check, validation, the risk screen, the duplicate check,")
    print("   encrypting the PHI, and one committed transaction holding the lead, its PHI, consent,")
    print("   outbox event and audit row)")


if __name__ == "__main__":
    main()
