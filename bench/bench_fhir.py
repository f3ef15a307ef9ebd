"""How long does a FHIR referral take to check and map, before any database work? Prints the
median and p95 of read_transaction + map_referral + fingerprint for the test suite's full
referral Bundle (9 entries, with a PDF), and for a 100-entry Bundle (the limit).

Usage: .venv/bin/python bench/bench_fhir.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.fhir import referral_bundle  # noqa: E402

from services.intake.domain.fhir.bundle import fingerprint, read_transaction  # noqa: E402
from services.intake.domain.fhir.mapping import map_referral  # noqa: E402


def _large() -> dict:
    bundle = referral_bundle()
    observation = bundle["entry"][6]
    while len(bundle["entry"]) < 100:
        bundle["entry"].append({**observation, "fullUrl": f"urn:uuid:bench-{len(bundle['entry'])}"})
    return bundle


def measure(name: str, bundle: dict, n: int) -> None:
    map_referral(read_transaction(bundle), "Bench", 5_000_000)  # warm: imports, phone metadata
    times = []
    for _ in range(n):
        started = time.perf_counter()
        map_referral(read_transaction(bundle), "Bench", 5_000_000)
        fingerprint(bundle)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:28} median {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms   (n={n})")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    measure("9-entry referral Bundle", referral_bundle(), count)
    measure("100-entry Bundle", _large(), max(count // 5, 20))
