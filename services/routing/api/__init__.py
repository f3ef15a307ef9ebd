"""Routing's HTTP edge: coordinator directory admin and lead actions (acknowledge, claim, decline,
reassign). Mounted by the composition root (careroute/asgi.py)."""

from fastapi import APIRouter

router = APIRouter()
