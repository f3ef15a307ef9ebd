"""The first browser test: a person signs in to the console by clicking through the real pages."""

from __future__ import annotations

from tests.browser.support import check_axe, screenshot, staff_user
from tests.support.auth import PASSWORD


def test_a_coordinator_signs_in_by_clicking_through_the_form(page):
    user = staff_user("coordinator", email="dana.browser@clinic.example")
    page.goto("/console/sign-in")
    check_axe(page)
    screenshot(page, "sign-in")

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/console")
    assert page.get_by_role("heading", level=1).inner_text() == "CareRoute console"
    assert "dana.browser@clinic.example" in page.locator("main").inner_text()
    check_axe(page)


def test_a_wrong_password_is_refused_on_the_page(page):
    user = staff_user("coordinator")
    page.goto("/console/sign-in")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("alert").inner_text() == "The email, password or code is not right."
    assert page.url.endswith("/console/sign-in")
    check_axe(page)


def test_the_skip_link_moves_keyboard_users_to_the_main_content(page):
    page.goto("/console/sign-in")  # the email field has autofocus: the skip link is just before it
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.press("Shift+Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
