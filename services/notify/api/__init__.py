"""Notify's HTTP edge: the SendGrid Event Webhook, Twilio's reply and status webhooks, referrer status pages and /metrics.
careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.notify.api import metrics, status_page, twilio_webhooks, webhooks

    return [webhooks.router, twilio_webhooks.router, status_page.router, metrics.router]
