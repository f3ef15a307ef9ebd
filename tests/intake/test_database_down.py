"""PostgreSQL unreachable at intake: a fast 503 with Retry-After, crisis resources still shown."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.factories import web_form
from tests.support.servers import free_port


@pytest.fixture
def client_without_database(monkeypatch):
    from shared.db import dispose_engines
    from shared.settings import reset_settings_cache

    monkeypatch.setenv(
        "CAREROUTE_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    )
    reset_settings_cache()
    dispose_engines()
    from careroute.asgi import build_app

    with TestClient(build_app()) as client:
        yield client
    monkeypatch.undo()
    reset_settings_cache()
    dispose_engines()


def test_database_down_gives_503_with_retry_after_and_crisis_resources(client_without_database):
    body = web_form(message="I took a lot of pills and want to die")
    response = client_without_database.post(
        "/v1/inquiries/web", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    problem = response.json()
    assert problem["code"] == "service_unavailable" and "Nothing was saved" in problem["detail"]
    assert "988" in json.dumps(problem["crisis_resources"])


def test_readyz_reports_the_database(client_without_database):
    response = client_without_database.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
