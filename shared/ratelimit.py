"""Rate-limit counters: the `limits` library's moving window, in Redis or in this process.

Production keeps the counters in Redis (the broker's, or CAREROUTE_RATE_LIMIT_STORAGE_URL), so
every API process shares them. The embedded default has no Redis: each API process counts on its
own (`memory://`), which still stops one client hammering one process. If Redis is unreachable or
slow, the check fails open — a person in crisis is never refused because a counter store is down
— logs it, counts it, and skips Redis for a few seconds so an outage costs no request more than
one short timeout.

HTTP lives in shared/http/ratelimit.py; this module knows nothing of requests.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from prometheus_client import CollectorRegistry, Counter

from shared.logging import get_logger
from shared.settings import Settings, get_settings

log = get_logger(__name__)
STORE_TIMEOUT_SECONDS = 0.25
SKIP_STORE_AFTER_FAILURE_SECONDS = 5.0

# Per API process (each counts what it saw); GET /metrics serves them beside notify's.
EDGE_REGISTRY = CollectorRegistry()
RATE_LIMITED = Counter(
    "careroute_rate_limited_total",
    "Requests refused with 429, by route group",
    ["group"],
    registry=EDGE_REGISTRY,
)
STORE_FAILURES = Counter(
    "careroute_rate_limit_store_failures_total",
    "Rate-limit checks that failed open because the counter store was unavailable",
    ["group"],
    registry=EDGE_REGISTRY,
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the violated window frees a slot
    limit: str = ""  # the limit that refused, e.g. "10 per 1 minute"
    degraded: bool = False  # the store was down and the check failed open


class Limiter:
    def __init__(self, storage_url: str, key_prefix: str) -> None:
        self.storage_url = storage_url
        options: dict = {}
        if storage_url.startswith(("redis://", "rediss://", "redis+")):
            options = {
                "key_prefix": f"{key_prefix}ratelimit",
                "socket_timeout": STORE_TIMEOUT_SECONDS,
                "socket_connect_timeout": STORE_TIMEOUT_SECONDS,
                "wrap_exceptions": True,
            }
        self.storage = storage_from_string(storage_url, **options)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._skip_until = 0.0
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        return not self.storage_url.startswith("memory://")

    def hit(self, group: str, limits: tuple[RateLimitItem, ...], identity: str) -> Decision:
        """Count one request by `identity` against every limit of `group`; refuse on the first full one."""
        if time.monotonic() < self._skip_until:
            STORE_FAILURES.labels(group).inc()
            return Decision(True, degraded=True)
        try:
            for item in limits:
                if not self.strategy.hit(item, group, identity):
                    reset_at, _remaining = self.strategy.get_window_stats(item, group, identity)
                    RATE_LIMITED.labels(group).inc()
                    return Decision(False, max(1, math.ceil(reset_at - time.time())), str(item))
        except Exception as exc:  # the store is down or slow: fail open, loudly
            with self._lock:
                self._skip_until = time.monotonic() + SKIP_STORE_AFTER_FAILURE_SECONDS
            STORE_FAILURES.labels(group).inc()
            log.warning("rate_limit_store_unavailable", group=group, error=type(exc).__name__)
            return Decision(True, degraded=True)
        return Decision(True)

    def reset(self) -> None:
        """Forget every counter (tests)."""
        self._skip_until = 0.0
        self.storage.reset()


def storage_url(settings: Settings) -> str:
    if settings.rate_limit_storage_url:
        return settings.rate_limit_storage_url
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return settings.broker_url
    return "memory://"


_building = threading.Lock()


@lru_cache(maxsize=4)
def _limiter(url: str, key_prefix: str) -> Limiter:
    # One at a time: limits imports its Redis dependency lazily, and two requests building the
    # first limiter at once saw a half-imported module ("redis 0.0.0") and answered 500.
    with _building:
        return Limiter(url, key_prefix)


# limits' storage constructor checks its dependency's version in a way that is not thread-safe:
# requests arriving together before the first one built the limiter failed with
# ConfigurationError ("Found version: 0.0.0"), a 500. One builder at a time.
_BUILD_LOCK = threading.Lock()


def get_limiter() -> Limiter:
    settings = get_settings()
    with _BUILD_LOCK:
        return _limiter(storage_url(settings), settings.broker_key_prefix)


@lru_cache(maxsize=32)
def parse_limits(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))
