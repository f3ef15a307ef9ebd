"""Notify's HTTP edge: the SendGrid Event Webhook, referrer status pages and /metrics. Mounted by
the composition root (careroute/asgi.py)."""

from fastapi import APIRouter

from services.notify.api.metrics import router as metrics_router
from services.notify.api.status_page import router as status_page_router
from services.notify.api.webhooks import router as webhooks_router

router = APIRouter()
router.include_router(webhooks_router)
router.include_router(status_page_router)
router.include_router(metrics_router)
