"""Intake's HTTP edge: inquiries (web form, phone log, referral), the lead's status, triage
preview. careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.intake.api import inquiries, leads

    return [inquiries.router, leads.router]
