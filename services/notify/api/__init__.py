"""Notify's HTTP edge: the SendGrid Event Webhook, referrer status pages and /metrics.
careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.notify.api import metrics, status_page, webhooks

    return [webhooks.router, status_page.router, metrics.router]
