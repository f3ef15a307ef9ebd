"""/docs works offline: Swagger UI comes from our own /assets, nothing from a CDN."""

from __future__ import annotations


def test_api_docs_load_swagger_ui_from_our_own_assets(page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "CareRoute" in page.locator(".swagger-ui .info .title").inner_text()
    outside = [u for u in requests if not u.startswith(page.url.split("/docs")[0])]
    assert not outside, f"/docs fetched from elsewhere: {outside}"
