"""GET /metrics: Prometheus text format, computed from the database (see adapters/metrics.py).

Counts and delays only: no ids, addresses or references.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.ratelimit import EDGE_REGISTRY

from services.notify.adapters.metrics import registry

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    # Notify's figures from the database, then this process's edge counters (rate limits).
    body = generate_latest(registry) + generate_latest(EDGE_REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
