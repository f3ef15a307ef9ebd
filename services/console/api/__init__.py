"""The console's HTTP edge: sign-in pages, the landing page, the audit review API and
break-the-glass. careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.console.api import audit, break_glass, desk, oversight, sign_in

    return [sign_in.router, audit.router, break_glass.router, desk.router, oversight.router]
