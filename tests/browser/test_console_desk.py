"""The coordinator's desk in a real browser: a person reaches out through the public API, the
pipeline classifies and routes it, and the coordinator signs in, finds it at the top of their
queue, opens it and acknowledges it; a lead outside their scope is a 404 page. axe-clean, with
screenshots (var/screenshots; docs/screenshots with CAREROUTE_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import json

from tests.browser.support import check_axe, screenshot
from tests.factories import lead_record, make_coordinator, web_form
from tests.support.drain import drain_outbox

ROUTINE = "Years of depression, nothing has worked. Is ketamine an option?"
URGENT = "Depression for ten years. Lately I keep thinking about ending my life. Is ketamine an option?"


def _reach_out(page, message: str, name: str, phone: str) -> dict:
    body = web_form(message=message, name=name, phone=phone, email=f"{name.split()[0].lower()}@example.org")
    response = page.request.post(
        "/v1/inquiries/web",
        data=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert response.status == 202, response.text()
    return response.json()


def test_a_person_reaches_out_and_the_coordinator_acknowledges_it_from_the_top_of_the_queue(page, sign_in):
    sign_in("coordinator")  # the only coordinator in the directory: every lead routes to them
    earlier = _reach_out(page, ROUTINE, "Robin Routine", "+1 949 555 0111")
    newest = _reach_out(page, URGENT, "Uma Urgent", "+1 949 555 0122")
    drain_outbox()  # classify, route, email, as the workers would
    assert lead_record(newest["lead_id"]).status == "notified"

    page.goto("/console/queue")
    rows = page.locator("tr.lead-row")
    assert rows.count() == 2
    assert rows.first.get_attribute("data-reference") == newest["reference"]  # more urgent: on top
    assert rows.nth(1).get_attribute("data-reference") == earlier["reference"]
    assert "in " in rows.first.locator("[data-due]").inner_text()  # the live countdown
    check_axe(page)
    screenshot(page, "console-queue")

    rows.first.get_by_role("link", name=newest["reference"]).click()
    page.wait_for_url(f"**/console/lead/{newest['reference']}")
    assert "Uma Urgent" in page.locator("main").inner_text()
    assert page.locator("mark.evidence").filter(has_text="ending my life").count() == 1
    check_axe(page)
    screenshot(page, "console-lead")

    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**?done=acknowledge")
    assert page.get_by_role("status").inner_text() == "Acknowledged."
    assert page.locator("#lead-status").inner_text() == "Acknowledged"
    assert lead_record(newest["lead_id"]).status == "acknowledged"
    check_axe(page)

    page.get_by_label("New note").fill("Called back, prefers mornings.")
    page.get_by_role("button", name="Save note").click()
    assert page.get_by_role("status").inner_text() == "Note saved."
    assert "Called back, prefers mornings." in page.locator("#notes").inner_text()
    screenshot(page, "console-lead-acknowledged")


def test_a_coordinator_cannot_open_a_lead_outside_their_scope(page, sign_in):
    make_coordinator(name="Other Person", email="other.person@clinic.example", specialties=["ptsd"])
    sign_in("coordinator")
    theirs = _reach_out(
        page, "PTSD since my deployment, nightmares every week.", "Pat Ptsd", "+1 949 555 0133"
    )
    drain_outbox()
    page.goto("/console/queue")
    assert theirs["reference"] not in page.locator("main").inner_text()

    response = page.goto(f"/console/lead/{theirs['reference']}")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    assert "Pat Ptsd" not in page.content()
    check_axe(page)
    screenshot(page, "console-lead-not-found")
