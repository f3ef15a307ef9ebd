"""The public inquiry form in a real browser: a person sends it and sees their reference; the
Spanish form; 988 and 911 before and after; a double click makes one lead; mistakes are named."""

from __future__ import annotations

import pytest

from tests.browser.support import check_axe, leads, screenshot


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(settings_env):
    settings_env(
        form_min_fill_seconds=0
    )  # a test types faster than a person; spam flags are tested elsewhere


def _fill(page, *, name="Jordan Rivera", phone="(714) 555-0142", message="I have had depression for years."):
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Phone number").fill(phone)
    page.get_by_label("Call me").check()
    page.get_by_label("What would you like help with?").fill(message)
    page.get_by_label("I agree to be contacted").check()


def test_a_person_sends_the_form_and_sees_their_reference(page):
    page.goto("/inquiry")
    crisis = page.get_by_role("region", name="help is available right now")
    assert "988" in crisis.inner_text() and "911" in crisis.inner_text()
    assert "not watched around the clock" in page.locator("main").inner_text()
    check_axe(page)
    screenshot(page, "inquiry-form")

    _fill(page)
    page.get_by_role("button", name="Send").click()

    reference = page.locator("#reference").inner_text()
    [lead] = leads()
    assert reference == lead.reference and lead.channel == "web" and lead.spam_reason is None
    after = page.locator("main").inner_text()
    assert "988" in after and "911" in after and "not watched around the clock" in after
    check_axe(page)
    screenshot(page, "inquiry-sent")


def test_the_spanish_form_is_in_spanish_and_records_the_language(page):
    page.goto("/inquiry?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "988" in page.get_by_role("region").first.inner_text()
    check_axe(page)
    screenshot(page, "inquiry-form-es")

    page.get_by_label("Su nombre").fill("Lucía Gómez")
    page.get_by_label("Correo electrónico", exact=True).fill("lucia@example.com")
    page.get_by_label("¿En qué le podemos ayudar?").fill("Tengo ansiedad desde hace meses.")
    page.get_by_label("Acepto que me contacten").check()
    page.get_by_role("button", name="Enviar").click()

    assert "Su número de referencia" in page.locator("main").inner_text()
    [lead] = leads()
    assert lead.language == "es" and page.locator("#reference").inner_text() == lead.reference


def test_a_double_click_on_send_makes_one_lead(page):
    page.goto("/inquiry")
    _fill(page)
    page.get_by_role("button", name="Send").dblclick()
    page.locator("#reference").wait_for()
    assert len(leads()) == 1


def test_mistakes_are_named_beside_their_fields_and_nothing_is_lost(page):
    page.goto("/inquiry")
    page.get_by_label("Your name").fill("Sam")
    page.get_by_label("What would you like help with?").fill("Looking for help with PTSD.")
    page.get_by_role("button", name="Send").click()

    summary = page.get_by_role("alert")
    text = summary.inner_text()
    assert "agree to be contacted" in text
    assert summary.evaluate("el => el === document.activeElement")  # read first by a screen reader
    assert page.get_by_label("Your name").input_value() == "Sam"  # what was typed is kept
    assert page.get_by_label("What would you like help with?").input_value() == "Looking for help with PTSD."
    assert leads() == []
    check_axe(page)

    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send").click()
    assert "phone number or an email address" in page.get_by_role("alert").inner_text()

    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send").click()
    page.locator("#reference").wait_for()
    assert len(leads()) == 1


def test_the_form_fits_a_phone_screen(page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/inquiry")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_axe(page)
    screenshot(page, "inquiry-form-phone")


def test_the_clinic_site_embeds_the_form_in_an_iframe_and_a_person_sends_it_there(page, settings_env):
    from careroute.asgi import build_app
    from tests.browser.support import LiveServer, static_site

    with static_site() as clinic:  # the clinic's own site: another origin (localhost, not 127.0.0.1)
        settings_env(embed_origins=clinic.origin)
        server = LiveServer(build_app()).start()  # security headers are set up when the app is built
        try:
            clinic.body = f'<h1>Clinic</h1><iframe src="{server.url}/inquiry" title="Ask about treatment" width="100%" height="1400"></iframe>'
            page.goto(clinic.origin)
            form = page.frame_locator("iframe")
            _fill(form)
            form.get_by_role("button", name="Send").click()
            reference = form.locator("#reference").inner_text()
            [lead] = leads()
            assert reference == lead.reference
        finally:
            server.stop()


def test_a_message_that_screens_positive_gets_988_first_on_the_confirmation(page):
    page.goto("/inquiry")
    _fill(page, message="I keep thinking about killing myself and I don't see a way out.")
    page.get_by_role("button", name="Send").click()
    alert = page.get_by_role("alert")
    assert "988" in alert.inner_text() and "911" in alert.inner_text()
    [lead] = leads()
    assert lead.risk_flag
    check_axe(page)


def test_a_keyboard_user_fills_and_sends_the_form_in_reading_order(page):
    page.goto("/inquiry")
    visited: list[str] = []

    def tab_to(element_id: str) -> None:
        for _ in range(15):
            page.keyboard.press("Tab")
            visited.append(page.evaluate("document.activeElement.id"))
            if visited[-1] == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}; went through {visited}")

    tab_to("name")
    page.keyboard.type("Kim Lee")
    tab_to("phone")
    page.keyboard.type("(714) 555-0142")
    tab_to("method-call")
    page.keyboard.press("Space")
    tab_to("message")
    page.keyboard.type("Asking about Spravato for my depression.")
    tab_to("consent_to_contact")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send"
    page.keyboard.press("Enter")

    page.locator("#reference").wait_for()
    assert "website" not in visited  # the honeypot is never in the way
    assert len(leads()) == 1
