"""The ASGI app `careroute api` serves: one FastAPI app with every service's routers.

This composition root builds the app, installs the problem+json handlers and the middleware, and
mounts the routers each service contributes (`services.<service>.api.routers()`). The services
never import each other; this is where they meet.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from shared.http.edge import STATIC_DIR, EdgeLimitsMiddleware, SecurityHeadersMiddleware
from shared.http.health import router as health_router
from shared.http.middleware import BodyLimitMiddleware, RequestIdMiddleware
from shared.http.problems import install_problem_handlers
from shared.http.ratelimit import api_key_identity, rate_limit
from shared.logging import configure_logging
from shared.settings import get_settings

from services.intake import api as intake_api
from services.notify import api as notify_api
from services.notify.api.webhooks import WEBHOOK_MAX_BODY_BYTES, WEBHOOK_PATH
from services.routing import api as routing_api


def build_app() -> FastAPI:
    settings = get_settings()
    configure_logging("api")
    docs = settings.enable_docs
    app = FastAPI(
        title="CareRoute",
        version="0.1.0",
        redoc_url=None,
        docs_url="/docs" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install_problem_handlers(app)
    # Stylesheets are files, not inline <style>: the Content-Security-Policy allows only 'self'.
    app.mount("/assets", StaticFiles(directory=STATIC_DIR), name="assets")
    # Every route counts requests per presented API key (no key: not counted here; the public
    # form has its own per-address limit).
    per_key = [Depends(rate_limit("api_key", key=api_key_identity))]
    for router in [*intake_api.routers(), *routing_api.routers(), *notify_api.routers(), health_router]:
        app.include_router(router, dependencies=per_key)
    # Added innermost first; a request meets them outermost first: security headers on every
    # response, the request id, the header limits and body-read deadline, then the body limit
    # (SendGrid's webhook batches are larger than anything else we accept).
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        per_path={WEBHOOK_PATH: WEBHOOK_MAX_BODY_BYTES},
    )
    app.add_middleware(
        EdgeLimitsMiddleware,
        max_header_count=settings.max_header_count,
        max_header_bytes=settings.max_header_bytes,
        body_read_timeout=settings.body_read_timeout_seconds,
    )
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == "production")
    return app


app = build_app()
