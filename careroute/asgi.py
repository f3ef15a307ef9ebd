"""The ASGI app `careroute api` serves: intake's app with routing's and notify's routers beside it.

Each service keeps its own routes; this composition root is the only place they meet.
"""

from services.intake.api.app import create_app
from services.notify.api import router as notify_router
from services.notify.api.webhooks import WEBHOOK_MAX_BODY_BYTES, WEBHOOK_PATH
from services.routing.api import router as routing_router


def build_app():
    app = create_app(body_limits={WEBHOOK_PATH: WEBHOOK_MAX_BODY_BYTES})
    app.include_router(routing_router)
    app.include_router(notify_router)
    return app


app = build_app()
