"""The HTML form pages over HTTP (the browser tests drive them in chromium): the public form's
spam defences and one lead per submission id, its 429 as a page with 988, the clinic's iframe
embed and CORS for configured origins only, and the call log's C-SSRS answers and guards."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from shared.db import unit_of_work
from shared.schema import Lead, LeadContact
from shared.settings import reset_settings_cache
from tests.support.auth import ORIGIN, make_user, open_session, use_session

CLINIC = "https://www.clinic.example"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def person(page_html: str, **fields) -> dict:
    form = {
        "language": "en",
        "form_token": hidden(page_html, "form_token"),
        "submission_id": hidden(page_html, "submission_id"),
        "consent_version": hidden(page_html, "consent_version"),
        "name": "Ana Torres",
        "email": "ana@example.com",
        "message": "Asking about ketamine for depression.",
        "consent_to_contact": "yes",
    }
    return {**form, **fields}


def leads() -> list[Lead]:
    with unit_of_work() as db:
        return list(db.exec(select(Lead)).all())


@pytest.fixture
def no_fill_time(monkeypatch):
    monkeypatch.setenv("CAREROUTE_FORM_MIN_FILL_SECONDS", "0")
    reset_settings_cache()
    yield
    monkeypatch.undo()
    reset_settings_cache()


def test_the_same_submission_twice_is_one_lead_with_one_reference(client, no_fill_time):
    page = client.get("/inquiry")
    form = person(page.text)
    first = client.post("/inquiry", data=form)
    second = client.post("/inquiry", data=form)
    assert first.status_code == second.status_code == 200
    reference = hidden_reference(first.text)
    assert reference == hidden_reference(second.text)
    assert [lead.reference for lead in leads()] == [reference]


def hidden_reference(html: str) -> str:
    return re.search(r'id="reference">([^<]+)<', html).group(1)


def test_a_filled_honeypot_is_stored_for_spam_review_and_answered_like_anyone(client, no_fill_time):
    page = client.get("/inquiry")
    answer = client.post("/inquiry", data=person(page.text, website="http://spam.example"))
    assert answer.status_code == 200 and hidden_reference(answer.text)
    [lead] = leads()
    assert lead.spam_reason == "honeypot"


def test_a_form_sent_faster_than_a_person_could_is_flagged_not_lost(client):
    page = client.get("/inquiry")  # the default minimum fill time (3 s) has not passed
    answer = client.post("/inquiry", data=person(page.text))
    assert answer.status_code == 200
    [lead] = leads()
    assert lead.spam_reason == "too_fast"


def test_the_spanish_form_shows_spanish_words_and_consent(client):
    page = client.get("/inquiry?lang=es")
    assert '<html lang="es">' in page.text and "Acepto que me contacten" in page.text
    assert "988" in page.text and "911" in page.text


def test_a_throttled_person_gets_a_page_with_988_not_json(db, monkeypatch):
    from careroute.asgi import build_app
    from shared.ratelimit import get_limiter

    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_PUBLIC_FORM", "1/minute")
    reset_settings_cache()
    get_limiter().reset()
    try:
        client = TestClient(build_app(), client=("203.0.113.77", 40000))
        page = client.get("/inquiry")
        client.post("/inquiry", data=person(page.text))
        refused = client.post("/inquiry", data=person(page.text, message="Another question"))
        assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
        assert "988" in refused.text and "911" in refused.text and "Retry-After" in refused.headers
    finally:
        get_limiter().reset()
        monkeypatch.undo()
        reset_settings_cache()


def _app_with(monkeypatch, **env):
    from careroute.asgi import build_app

    for name, value in env.items():
        monkeypatch.setenv(f"CAREROUTE_{name.upper()}", value)
    reset_settings_cache()
    return TestClient(build_app())


def test_the_clinic_site_may_frame_the_form_and_nothing_else(db, monkeypatch):
    try:
        client = _app_with(monkeypatch, embed_origins=f"{CLINIC}, https://clinic.example")
        form = client.get("/inquiry")
        assert f"frame-ancestors {CLINIC} https://clinic.example" in form.headers["content-security-policy"]
        assert "x-frame-options" not in form.headers
        other = client.get("/console/sign-in")
        assert "frame-ancestors 'none'" in other.headers["content-security-policy"]
        assert other.headers["x-frame-options"] == "DENY"
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_by_default_nobody_may_frame_the_form(client):
    form = client.get("/inquiry")
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "DENY"


def test_cors_answers_configured_origins_only(db, monkeypatch):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    try:
        client = _app_with(monkeypatch, cors_origins=CLINIC)
        allowed = client.options("/v1/inquiries/web", headers={"Origin": CLINIC, **preflight})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == CLINIC
        assert "access-control-allow-credentials" not in allowed.headers
        refused = client.options("/v1/inquiries/web", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in refused.headers
        form = client.get("/v1/inquiries/web/form", headers={"Origin": CLINIC})
        assert form.headers["access-control-allow-origin"] == CLINIC
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    closed = TestClient(__import__("careroute.asgi", fromlist=["app"]).app)
    answer = closed.get("/v1/inquiries/web/form", headers={"Origin": CLINIC})
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    "value", ["*", "https://clinic.example/path", "clinic.example", "javascript:alert(1)"]
)
def test_a_bad_origin_setting_stops_the_process(monkeypatch, value):
    from shared.settings import Settings

    monkeypatch.setenv("CAREROUTE_EMBED_ORIGINS", value)
    with pytest.raises(ValueError, match="EMBED_ORIGINS"):
        Settings()


# --- the call log -------------------------------------------------------------------------------


def _agent(client) -> dict:
    headers = use_session(client, open_session(make_user("call_center")))
    return headers


def test_the_phone_api_saves_cssrs_answers_with_the_call(client, make_key):
    from tests.factories import phone_log

    body = phone_log(screeners={"cssrs": {"wish_dead": True, "active_thoughts": False}})
    answer = client.post(
        "/v1/inquiries/phone",
        content=json.dumps(body),
        headers={"content-type": "application/json", **make_key("call_center")},
    )
    assert answer.status_code == 202, answer.text
    with unit_of_work() as db:
        [contact] = db.exec(select(LeadContact)).all()
        assert contact.details["cssrs"] == {"wish_dead": True, "active_thoughts": False}


def test_a_yes_to_a_cssrs_crisis_item_shows_the_banner_without_a_note(client):
    headers = _agent(client)
    fragment = client.post(
        "/console/calls/preview",
        data={"notes": "", "cssrs_wish_dead": "yes", "cssrs_active_thoughts": "yes", "cssrs_plan": "yes"},
        headers=headers,
    )
    assert fragment.status_code == 200 and 'id="crisis-banner"' in fragment.text
    assert "988" in fragment.text and "press 1" in fragment.text and "911" in fragment.text


def test_the_call_form_refuses_a_post_without_the_csrf_token_or_from_another_site(client):
    headers = _agent(client)
    token = headers["X-CSRF-Token"]
    assert (
        client.post("/console/calls/new", data={"notes": "x"}, headers={"Origin": ORIGIN}).status_code == 403
    )
    other_site = client.post(
        "/console/calls/new",
        data={"notes": "x", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    with unit_of_work() as db:
        assert db.exec(select(func.count()).select_from(Lead)).one() == 0


def test_the_call_form_is_for_people_not_api_keys(client, make_key):
    assert client.get("/console/calls/new", headers=make_key("call_center")).status_code == 401


def test_a_form_sent_several_times_at_once_shows_every_tab_the_same_reference(client, no_fill_time):
    """A double click without script sends the same submission at the same moment: the later
    requests wait for the first and answer with its reference, not with a 409 page."""
    import threading

    form = person(client.get("/inquiry").text)
    answers: list = []
    start = threading.Barrier(4)

    def send():
        start.wait(5)
        try:
            answers.append(client.post("/inquiry", data=form))
        except Exception as exc:  # noqa: BLE001  (shown by the assertion below)
            answers.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [getattr(a, "status_code", a) for a in answers] == [200] * 4
    assert len({hidden_reference(a.text) for a in answers}) == 1
    assert len(leads()) == 1
