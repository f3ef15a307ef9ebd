"""The intake FastAPI app: inquiries, lead status, triage preview, health."""

from __future__ import annotations

from fastapi import FastAPI, Request

from shared.http import BodyLimitMiddleware, RequestIdMiddleware, install_problem_handlers
from shared.logging import configure_logging
from shared.settings import get_settings

from services.intake.api.routes import router


def _crisis_extra(request: Request) -> dict:
    resources = getattr(request.state, "crisis_resources", None)
    return {"crisis_resources": resources} if resources else {}


def create_app(body_limits: dict[str, int] | None = None) -> FastAPI:
    """`body_limits` raises the body limit for named paths (the composition root passes them)."""
    settings = get_settings()
    configure_logging("api")
    docs = settings.enable_docs
    app = FastAPI(
        title="CareRoute",
        version="0.1.0",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_problem_handlers(app, extra_for=_crisis_extra)
    app.include_router(router)
    # Outermost first: the request id wraps everything, then the body limit.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, per_path=body_limits)
    app.add_middleware(RequestIdMiddleware)
    return app
