"""The coordinator link pages moved to the routing service (services/routing/api/links.py), which
owns lead actions; the composed app (careroute/asgi.py) serves them. This empty router keeps
intake's app factory unchanged."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
