"""Intake's HTTP edge: inquiries (web form, phone log, referral), the lead's status, triage
preview, FHIR R4 referrals and SMART Backend Services tokens; the HTML forms (pages/): the public
inquiry form, the call-center agent's call log and the provider's referral form. careroute/asgi.py mounts `routers()`."""

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from services.intake.api import inquiries, leads, pages
    from services.intake.api.fhir import auth as fhir_auth
    from services.intake.api.fhir import routes as fhir_routes
    from services.intake.app.consent import check_configured_version

    check_configured_version()  # a consent version with no wording in the repo stops the API here
    return [inquiries.router, leads.router, fhir_routes.router, fhir_auth.router, *pages.routers()]


def page_problem_renderers() -> dict:
    """Errors on the HTML form pages as pages (a 429 with crisis resources), by path prefix."""
    from services.intake.api import pages

    return pages.problem_renderers()
