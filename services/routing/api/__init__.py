"""Routing's HTTP edge: coordinator directory and rules admin, lead actions (acknowledge, claim,
decline, reassign, status), the triage safety net's decisions (crisis check, clinical review) and the signed-link page from the email. careroute/asgi.py mounts
`routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.routing.api import desk_actions, directory, leads, links, safety, supervisor_pages

    return [
        directory.router,
        leads.router,
        links.router,
        desk_actions.router,
        supervisor_pages.router,
        safety.router,
    ]
