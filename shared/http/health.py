"""Liveness, readiness and the deep health check (shared/health.py does the checking)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from shared.health import check_broker, check_database, deep_health
from shared.http.deps import public

router = APIRouter(tags=["health"], dependencies=[Depends(public("liveness and readiness, no data"))])


@router.get("/healthz")
def healthz():
    return {"status": "ok"}


@router.get("/readyz")
def readyz():
    checks = {"database": check_database(), "broker": check_broker()}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/healthz/deep")
def healthz_deep():
    """End to end: background loops beating, and no lead waiting too long for its email."""
    report = deep_health()
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
