"""How long one Argon2id verification takes with CareRoute's parameters (shared/auth/passwords.py).

The target is 50–100 ms on the deployment machine: slow enough to make offline guessing expensive,
fast enough for a sign-in. Run on the machine class you deploy to and retune if it drifts.
"""

from __future__ import annotations

import statistics
import time

from shared.auth import passwords


def main(rounds: int = 21) -> None:
    stored = passwords.hash_password("a sample password of ordinary length")
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        passwords.verify_password(stored, "a sample password of ordinary length")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"argon2id t={passwords.TIME_COST} m={passwords.MEMORY_COST_KIB} KiB p={passwords.PARALLELISM}: "
        f"median {statistics.median(times):.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms "
        f"over {rounds} verifications"
    )


if __name__ == "__main__":
    main()
