"""The ASGI app `careroute api` serves: one FastAPI app with every service's routers.

This composition root builds the app, installs the problem+json handlers and the middleware, and
mounts the routers each service contributes (`services.<service>.api.routers()`). The services
never import each other; this is where they meet.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

from shared.http.assets import router as assets_router
from shared.http.deps import public
from shared.http.edge import EdgeLimitsMiddleware, SecurityHeadersMiddleware
from shared.http.health import router as health_router
from shared.http.middleware import BodyLimitMiddleware, RequestIdMiddleware
from shared.http.problems import install_problem_handlers, register_problem_renderer
from shared.http.ratelimit import api_key_identity, rate_limit
from shared.logging import configure_logging
from shared.settings import get_settings
from shared.smart import FHIR_BASE_PATH, TOKEN_PATH

from services.console import api as console_api
from services.console.api.sign_in import SIGN_IN_PATHS, sign_in_problem
from services.intake import api as intake_api
from services.intake.api.fhir.auth import oauth_problem
from services.intake.api.fhir.outcome import fhir_problem
from services.intake.api.pages import EMBEDDABLE_PATHS
from services.notify import api as notify_api
from services.notify.api.webhooks import WEBHOOK_MAX_BODY_BYTES, WEBHOOK_PATH
from services.routing import api as routing_api


def build_app() -> FastAPI:
    settings = get_settings()
    configure_logging("api")
    app = FastAPI(title="CareRoute", version="0.1.0", redoc_url=None, docs_url=None, openapi_url=None)
    install_problem_handlers(app)
    # Clients that read errors in another shape: FHIR's OperationOutcome under /fhir/r4, OAuth's
    # {"error": …} at its token endpoint, an HTML page on the console's sign-in forms.
    register_problem_renderer(FHIR_BASE_PATH, fhir_problem)
    register_problem_renderer(TOKEN_PATH, oauth_problem)
    for path in SIGN_IN_PATHS:
        register_problem_renderer(path, sign_in_problem)
    for path, renderer in intake_api.page_problem_renderers().items():
        register_problem_renderer(path, renderer)
    # Every route counts requests per presented API key or access token (none presented: not
    # counted here; the public form, sign-in and the token endpoint count per client address).
    per_key = [Depends(rate_limit("api_key", key=api_key_identity))]
    routers = [*intake_api.routers(), *routing_api.routers(), *notify_api.routers(), *console_api.routers()]
    for router in [*routers, health_router, assets_router]:
        app.include_router(router, dependencies=per_key)
    if settings.enable_docs:
        _add_docs(app, per_key)
    # Added innermost first; a request meets them outermost first: security headers on every
    # response, the request id, the header limits and body-read deadline, then the body limit
    # (SendGrid's webhook batches and FHIR referrals carrying a PDF are larger than anything else).
    fhir_limit = settings.fhir_max_body_bytes
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        per_path={
            WEBHOOK_PATH: WEBHOOK_MAX_BODY_BYTES,
            FHIR_BASE_PATH: fhir_limit,
            f"{FHIR_BASE_PATH}/ServiceRequest": fhir_limit,
            # the referral form's PDFs, each checked again against its own limit
            "/refer": settings.referral_pdf_max_bytes * settings.referral_pdf_max_files + 256 * 1024,
        },
    )
    app.add_middleware(
        EdgeLimitsMiddleware,
        max_header_count=settings.max_header_count,
        max_header_bytes=settings.max_header_bytes,
        body_read_timeout=settings.body_read_timeout_seconds,
    )
    app.add_middleware(RequestIdMiddleware)
    # The clinic's site may call the JSON API from its pages (CAREROUTE_CORS_ORIGINS; closed when
    # empty). No credentials: cookies never ride along; API keys are sent explicitly.
    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Idempotency-Key", "Authorization", "Accept-Language"],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
            max_age=600,
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.env == "production",
        embeddable=EMBEDDABLE_PATHS,
        embed_origins=settings.embed_origin_list,
    )
    return app


def _add_docs(app: FastAPI, per_key: list) -> None:
    """/openapi.json and /docs as ordinary routes, so they declare their policy like every other."""
    docs = [Depends(public("the API description (CAREROUTE_ENABLE_DOCS)")), *per_key]

    @app.get("/openapi.json", include_in_schema=False, dependencies=docs)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=docs)
    def swagger():
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="CareRoute API",
            swagger_js_url="/assets/swagger-ui-bundle.js",  # vendored: /docs works offline
            swagger_css_url="/assets/swagger-ui.css",
            swagger_favicon_url="/assets/favicon-32x32.png",
        )


app = build_app()
