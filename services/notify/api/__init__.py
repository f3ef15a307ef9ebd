"""Notify's HTTP edge: the SendGrid Event Webhook and referrer status pages. Mounted by the
composition root (careroute/asgi.py)."""

from fastapi import APIRouter

router = APIRouter()
