"""Every response carries the security headers; too many or too large request headers get 431;
no page we serve needs inline script or style (the CSP would block it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.settings import reset_settings_cache
from tests.factories import web_form

REPO = Path(__file__).resolve().parents[2]


def assert_security_headers(response, hsts: bool = False) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in response.headers) is hsts


def test_every_kind_of_response_carries_the_security_headers(client):
    accepted = client.post(
        "/v1/inquiries/web", content=json.dumps(web_form()), headers={"content-type": "application/json"}
    )
    assert accepted.status_code == 202
    for response in (
        accepted,
        client.get("/healthz"),
        client.get("/no/such/page"),
        client.get("/v1/leads/00000000-0000-0000-0000-000000000000"),  # 401
        client.post("/v1/inquiries/web", content="{}", headers={"content-type": "application/json"}),  # 422
        client.get("/console/leads/R-NOPE?t=forged"),  # a link page
        client.get("/assets/page.css"),
        client.get("/console/sign-in"),  # the console's pages
        client.get("/console", follow_redirects=False),
        client.get("/fhir/r4/metadata"),  # the FHIR API, its OperationOutcomes and token endpoint
        client.get("/fhir/r4/Task"),
        client.post("/fhir/r4/auth/token", data={"grant_type": "password"}),
    ):
        assert_security_headers(response)


def test_hsts_in_production(monkeypatch):
    from fastapi.testclient import TestClient

    from careroute.asgi import build_app
    from shared.crypto import new_key

    monkeypatch.setenv("CAREROUTE_ENV", "production")
    monkeypatch.setenv("CAREROUTE_SECRET_KEY", "a-production-secret-for-this-test")
    monkeypatch.setenv("CAREROUTE_PHI_KEYS", f"k1:{new_key()}")
    monkeypatch.setenv("CAREROUTE_PHI_ACTIVE_KEY_ID", "k1")
    reset_settings_cache()
    try:
        with TestClient(build_app()) as client:
            response = client.get("/healthz")
        assert_security_headers(response, hsts=True)
        assert "max-age=31536000" in response.headers["strict-transport-security"]
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_too_many_request_headers_get_431(client):
    many = {f"x-extra-{i}": "1" for i in range(120)}
    response = client.get("/healthz", headers=many)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "headers_too_large"
    assert_security_headers(response)
    assert client.get("/healthz", headers={f"x-extra-{i}": "1" for i in range(40)}).status_code == 200


def test_too_many_header_bytes_get_431(client):
    assert client.get("/healthz", headers={"x-big": "a" * 17_000}).status_code == 431
    assert client.get("/healthz", headers={"x-big": "a" * 8_000}).status_code == 200


def test_the_stylesheet_is_a_file_served_by_us(client):
    response = client.get("/assets/page.css")
    assert response.status_code == 200 and "font-family" in response.text
    assert response.headers["content-type"].startswith("text/css")
    assert client.get("/assets/..%2Fedge.py").status_code == 404  # only the listed files
    assert client.get("/assets/nope.css").status_code == 404


def test_the_console_pages_link_the_stylesheet_and_need_nothing_inline(client):
    page = client.get("/console/sign-in")
    assert page.status_code == 200 and '<link rel="stylesheet" href="/assets/page.css">' in page.text
    assert "<style" not in page.text and "<script" not in page.text and " style=" not in page.text


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "inline <style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


@pytest.mark.parametrize(
    "template",
    sorted(
        p.relative_to(REPO).as_posix()
        for folder in ("shared", "services")
        for p in (REPO / folder).rglob("*.html")
        if "notify/templates" not in p.as_posix()  # email bodies: never served by us
    ),
)
def test_served_pages_need_no_inline_script_or_style(template):
    html = (REPO / template).read_text()
    found = [what for pattern, what in INLINE if pattern.search(html)]
    assert not found, f"{template}: {', '.join(found)} (the Content-Security-Policy blocks it)"
