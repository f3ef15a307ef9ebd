"""GET /metrics: Prometheus text format, computed from the database (see adapters/metrics.py).

Counts and delays only: no ids, addresses or references.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.http.deps import public
from shared.ratelimit import EDGE_REGISTRY

from services.notify.adapters.metrics import registry

# Counts and delays only; restrict it to the scraper at the network edge in production.
router = APIRouter(include_in_schema=False, dependencies=[Depends(public("Prometheus counts, no ids"))])


@router.get("/metrics")
def metrics() -> Response:
    # Notify's figures from the database, then this process's edge counters (rate limits).
    body = generate_latest(registry) + generate_latest(EDGE_REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
