"""Routing's HTTP edge: coordinator directory and rules admin, lead actions (acknowledge, claim,
decline, reassign, status) and the signed-link page from the email. Mounted by the composition
root (careroute/asgi.py)."""

from fastapi import APIRouter

from services.routing.api.directory import router as directory_router
from services.routing.api.leads import router as leads_router
from services.routing.api.links import router as links_router

router = APIRouter()
router.include_router(directory_router)
router.include_router(leads_router)
router.include_router(links_router)
