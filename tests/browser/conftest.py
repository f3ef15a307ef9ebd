"""Fixtures for tests/browser/: `live_server` (session), `browser` (session), `page` (per test, a
fresh context: no cookies carried between tests) and `signed_in_page(role)`.

Every page a test opens is watched for Content-Security-Policy violations and uncaught script
errors: either fails the test at teardown, so a page that needs inline script or style cannot pass.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.support import CHROMIUM, LiveServer, launch_chromium, screenshot, staff_user
from tests.support.auth import PASSWORD


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def live_server():
    # Load the triage classifier first, as a deployed process does before its first request (the
    # worker warms it; careroute.workers.warm): a cold build on a busy machine can outlast a test's
    # 15-second wait for the call screen's preview.
    from services.triage import get_classifier

    get_classifier()
    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no chromium at {CHROMIUM}: `make test` installs it (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = launch_chromium(_playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(request, browser, live_server, db):
    """A page in a fresh context, its base URL the live server; 390px wide when `phone` is asked."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 800})
    context.set_default_timeout(15_000)  # generous: two cores shared with other test runs
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and ("Content Security Policy" in m.text or "Refused to" in m.text)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:  # what the page showed when the test failed
        try:
            screenshot(page, f"FAILED-{request.node.name}", publish=False)
        except Exception:
            pass
    context.close()
    assert not problems, "the page broke its CSP or threw:\n" + "\n".join(problems)


@pytest.fixture
def sign_in(page):
    """sign_in(role, **user fields) -> the StaffUser, signed in through the real sign-in page."""

    def go(role: str, **fields):
        user = staff_user(role, **fields)
        page.goto("/console/sign-in")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console")
        return user

    return go


@pytest.fixture
def settings_env(monkeypatch):
    """settings_env(NAME=value, ...): change settings for the live server (same process) for one test."""
    from shared.settings import reset_settings_cache

    def change(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"CAREROUTE_{name.upper()}", str(value))
        reset_settings_cache()

    yield change
    monkeypatch.undo()
    reset_settings_cache()
