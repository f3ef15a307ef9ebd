"""A supervisor in a real browser: signs in with their second factor, reads the day's figures on
the dashboard, and looks over escalations, spam review, the directory and the audit trail. axe-clean,
with screenshots."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import CallAttempt, LeadState, SlaDeadline
from tests.browser.support import check_axe, screenshot, staff_user
from tests.console.world import build_world
from tests.support.auth import PASSWORD


def _sign_in_supervisor(page, coordinator):
    secret = pyotp.random_base32()
    user = staff_user("supervisor", coordinator_id=coordinator.id, totp_secret=secret)
    page.goto("/console/sign-in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("The 6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/console")
    return user


def test_a_supervisors_dashboard_shows_the_days_figures(page):
    world = build_world()
    now = utcnow()
    reached = world.lead(
        world.dana, status="contacted", urgency="urgent", created_at=now - timedelta(minutes=40)
    )
    world.lead(world.sam, status="notified", urgency="crisis", channel="phone")
    world.lead(world.sam, channel="referral", organization="Harbor Psychiatry")
    world.lead(world.sam, status="spam_review")
    with unit_of_work() as s:
        s.add(SlaDeadline(lead_id=reached.id, kind="acknowledge", due_at=now))
        state = s.get(LeadState, reached.id)
        state.acknowledged_at, state.escalation_step = now - timedelta(minutes=35), 0
        s.add(state)
        s.add(
            CallAttempt(
                lead_id=reached.id,
                actor="user:x",
                author="Dana",
                outcome="reached",
                created_at=now - timedelta(minutes=15),
            )
        )
    _sign_in_supervisor(page, world.pat)

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/console/dashboard")
    figures = page.locator("#today-figures")
    assert figures.locator(".figure").filter(has_text="leads received").locator("strong").inner_text() == "4"
    assert (
        figures.locator(".figure").filter(has_text="reached by a person").locator("strong").inner_text()
        == "1"
    )
    assert (
        figures.locator(".figure")
        .filter(has_text="median time to first human contact")
        .locator("strong")
        .inner_text()
        == "25 min"
    )
    assert figures.locator(".figure").filter(has_text="within SLA").locator("strong").inner_text() == "100%"
    assert page.get_by_role("img", name="Leads per day by channel").count() == 1
    check_axe(page)
    screenshot(page, "console-dashboard")

    for link, name in (
        ("Escalations", "console-escalations"),
        ("Spam review", "console-spam"),
        ("Directory", "console-directory"),
        ("Audit", "console-audit"),
    ):
        page.get_by_role("navigation", name="Console").get_by_role("link", name=link, exact=True).click()
        page.wait_for_load_state()
        check_axe(page)
        screenshot(page, name)

    page.get_by_role("link", name="Queue", exact=True).click()
    assert page.locator("tr.lead-row").count() == 3  # every open queue of the clinic (not the held lead)
    screenshot(page, "console-queue-supervisor")
