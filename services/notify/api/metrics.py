"""GET /metrics: Prometheus text format, one registry for the whole process.

The pipeline's figures (shared/metrics.py: leads, stage latencies, queues, SLA, escalations, the
canary) and notify's delivery figures (adapters/metrics.py) are read from the database and the
broker at each scrape, so every API process answers the same numbers; the edge counters (rate
limits, shared/ratelimit.py) are this process's own: scrape every API pod. Counts and delays only:
no ids, addresses or references.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from shared.http.deps import public
from shared.metrics import PipelineCollector
from shared.ratelimit import RATE_LIMITED, STORE_FAILURES

from services.notify.adapters.metrics import NotifyCollector

# Counts and delays only; restrict it to the scraper at the network edge in production.
router = APIRouter(include_in_schema=False, dependencies=[Depends(public("Prometheus counts, no ids"))])

REGISTRY = CollectorRegistry(auto_describe=False)
for collector in (PipelineCollector(), NotifyCollector(), RATE_LIMITED, STORE_FAILURES):
    REGISTRY.register(collector)


@router.get("/metrics")
def metrics() -> Response:
    return Response(
        generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )
