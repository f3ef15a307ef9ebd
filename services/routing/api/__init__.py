"""Routing's HTTP edge: coordinator directory and rules admin, lead actions (acknowledge, claim,
decline, reassign, status) and the signed-link page from the email. careroute/asgi.py mounts
`routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.routing.api import desk_actions, directory, leads, links

    return [directory.router, leads.router, links.router, desk_actions.router]
