"""A call-center agent logs a live call: the triage preview runs as the note is typed, a crisis
banner with the script appears before anything is saved, the C-SSRS answers are saved with the
call, and verbal consent is recorded with the agent."""

from __future__ import annotations

from sqlmodel import select

from shared.db import unit_of_work
from shared.schema import Consent, LeadContact
from tests.browser.support import check_axe, leads, screenshot

RISKY_NOTE = "Caller says her son told her he has been thinking about killing himself and has pills saved up."


def _saved(lead_id):
    with unit_of_work() as db:
        contact = db.get(LeadContact, lead_id)
        consent = db.exec(select(Consent).where(Consent.lead_id == lead_id)).one()
        return dict(contact.details), consent.channel, consent.heard_by


def test_an_agent_types_suicidal_ideation_and_the_crisis_banner_appears_before_saving(page, sign_in):
    agent = sign_in("call_center")
    page.get_by_role("link", name="Log a call").click()  # from the console's landing page
    page.wait_for_url("**/console/calls/new")
    check_axe(page)
    screenshot(page, "call-new")

    page.get_by_label("Call note").press_sequentially(RISKY_NOTE, delay=5)
    banner = page.get_by_role("alert")
    banner.wait_for()
    text = banner.inner_text()
    assert "stay on the line" in text.lower() and "988" in text and "press 1" in text and "911" in text
    assert leads() == []  # the banner came from the preview: nothing is saved yet
    check_axe(page)
    screenshot(page, "call-crisis-banner")

    page.get_by_text("C-SSRS screener (6 questions)").click()  # one click away
    page.get_by_role("group", name="have you wished you were dead").get_by_label("Yes").check()
    page.get_by_role("group", name="actual thoughts of killing yourself").get_by_label("Yes").check()
    page.get_by_role("group", name="intention of acting on them").get_by_label("No").check()
    page.get_by_label("Caller's name").fill("Maria Lopez")
    page.get_by_label("Calling for").select_option("parent")
    page.get_by_label("Phone").fill("(714) 555-0142")
    page.get_by_label("I read this and the caller agreed").check()
    check_axe(page)
    page.get_by_role("button", name="Log the call").click()

    reference = page.locator("#reference").inner_text()
    [lead] = leads()
    assert lead.reference == reference and lead.channel == "phone" and lead.risk_flag
    details, channel, heard_by = _saved(lead.id)
    assert details["cssrs"] == {"wish_dead": True, "active_thoughts": True, "intent": False}
    assert channel == "phone" and heard_by and str(agent.id) in heard_by
    assert "screened positive for risk" in page.locator("main").inner_text()
    check_axe(page)


def test_a_calm_note_shows_the_preview_without_a_banner(page, sign_in):
    sign_in("call_center")
    page.goto("/console/calls/new")
    page.get_by_label("Call note").press_sequentially("Wants to ask about Spravato for depression.", delay=5)
    preview = page.locator("#triage .ok")
    preview.wait_for()
    assert "No crisis signs" in preview.inner_text()
    assert page.get_by_role("alert").count() == 0


def test_a_coordinator_cannot_open_the_call_form(page, sign_in):
    sign_in("coordinator")
    response = page.goto("/console/calls/new")
    assert response.status == 403


def test_signed_out_the_call_form_sends_the_agent_to_sign_in_and_back(page):
    from tests.browser.support import staff_user
    from tests.support.auth import PASSWORD

    user = staff_user("call_center")
    page.goto("/console/calls/new")
    assert "/console/sign-in" in page.url
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/calls/new")
