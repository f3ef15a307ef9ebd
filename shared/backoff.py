"""The retry policy's numbers and its backoff curve: pure, so domain rules may use them too.
shared/retry.py applies them to Celery tasks."""

from __future__ import annotations

import random

BACKOFF_BASE = 2.0  # seconds before the first retry (with jitter: 1–2 s)
MAX_DELAY = 120.0  # far below the broker's visibility timeout (an hour by default)
MAX_RETRIES = 10  # crisis notices and classification retry past this (RetryLater.unlimited)


def backoff(
    retries: int, *, retry_after: float | None = None, jitter: float | None = None, cap: float = MAX_DELAY
) -> float:
    """Seconds before try number `retries + 1`.

    A provider's retry_after wins (clamped to the cap). Otherwise exponential backoff 2, 4, 8 …
    capped, with "equal jitter": half the step fixed, half random, so many workers never retry in
    the same second.
    """
    if retry_after is not None:
        return max(0.0, min(float(retry_after), cap))
    step = min(BACKOFF_BASE * (2 ** max(0, retries)), cap)
    jitter = random.random() if jitter is None else min(max(jitter, 0.0), 1.0)
    return step / 2 + step / 2 * jitter
