"""Intake's HTTP edge: inquiries (web form, phone log, referral), the lead's status, triage
preview. careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.intake.api import inquiries, leads
    from services.intake.app.consent import check_configured_version

    check_configured_version()  # a consent version with no wording in the repo stops the API here
    return [inquiries.router, leads.router]
