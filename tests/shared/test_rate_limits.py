"""Rate limits at the public edge, counted in the machine's real Redis: per real client address on
the public form (X-Forwarded-For believed only from trusted proxies), per API key elsewhere; 429
problem+json with Retry-After; failing open when the counter store is down."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from shared.http.client_address import parse_networks, resolve
from shared.ratelimit import get_limiter
from shared.settings import reset_settings_cache
from tests.factories import web_form

PROXY = "198.51.100.7"  # documentation addresses: labels in the ASGI scope, nothing is sent there
CLIENT = "203.0.113.20"
OTHER = "203.0.113.99"


@pytest.fixture
def edge(db, monkeypatch):
    """An app with small limits, a trusted proxy, and empty counters in the suite's Redis."""
    from careroute.asgi import build_app

    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_PUBLIC_FORM", "3/minute")
    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_API_KEY", "4/minute")
    monkeypatch.setenv("CAREROUTE_TRUSTED_PROXIES", f"{PROXY}/32")
    reset_settings_cache()
    limiter = get_limiter()
    assert limiter.shared and limiter.storage_url.startswith("redis://")  # the real Redis
    limiter.reset()
    app = build_app()

    def client(peer: str) -> TestClient:
        return TestClient(app, client=(peer, 40000))

    yield client
    limiter.reset()
    monkeypatch.undo()
    reset_settings_cache()


def post_form(client: TestClient, i: int, **headers) -> object:
    body = web_form(email=f"person{i}@example.com", message=f"Question number {i} about Spravato")
    return client.post(
        "/v1/inquiries/web", content=json.dumps(body), headers={"content-type": "application/json", **headers}
    )


def test_the_public_form_answers_429_with_retry_after_and_crisis_resources(edge):
    client = edge(CLIENT)
    assert [post_form(client, i).status_code for i in range(3)] == [202, 202, 202]
    refused = post_form(client, 3)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "rate_limited" and body["status"] == 429
    assert "988" in json.dumps(body["crisis_resources"])
    assert post_form(edge(OTHER), 4).status_code == 202  # another address has its own budget


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(edge):
    client = edge(CLIENT)  # not a proxy we trust: its X-Forwarded-For is made up
    codes = [post_form(client, i, **{"X-Forwarded-For": f"192.0.2.{i}"}).status_code for i in range(5)]
    assert codes == [202, 202, 202, 429, 429]


def test_behind_a_trusted_proxy_each_real_client_is_counted_and_spoofing_does_not_help(edge):
    proxy = edge(PROXY)
    # The client put a made-up address in front; our proxy appended the one it saw.
    spoofing = [post_form(proxy, i, **{"X-Forwarded-For": f"192.0.2.{i}, {CLIENT}"}) for i in range(4)]
    assert [r.status_code for r in spoofing] == [202, 202, 202, 429]
    assert post_form(proxy, 9, **{"X-Forwarded-For": OTHER}).status_code == 202  # someone else
    assert post_form(proxy, 10).status_code == 202  # no header: the proxy itself is the client


def test_each_api_key_has_its_own_budget(edge, make_key):
    client = edge(CLIENT)
    first, second = make_key("admin"), make_key("admin")
    codes = [client.get("/v1/coordinators", headers=first).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    refused = client.get("/v1/coordinators", headers=first)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/v1/coordinators", headers=second).status_code == 200
    assert client.get("/healthz").status_code == 200  # no key: not counted per key


def test_the_form_fails_open_when_the_counter_store_is_down(db, monkeypatch, caplog):
    from careroute.asgi import build_app

    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_PUBLIC_FORM", "1/minute")
    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:1/0")  # nothing listens
    reset_settings_cache()
    try:
        client = TestClient(build_app(), client=(CLIENT, 40000))
        assert [post_form(client, i).status_code for i in range(3)] == [202, 202, 202]
        assert "rate_limit_store_unavailable" in caplog.text
        metrics = client.get("/metrics").text  # this process's edge counters, beside notify's
        failures = next(
            line
            for line in metrics.splitlines()
            if line.startswith("careroute_rate_limit_store_failures_total{")
        )
        assert 'group="public_form"' in failures and float(failures.split()[-1]) >= 3
    finally:
        monkeypatch.undo()
        reset_settings_cache()


def test_the_embedded_default_counts_in_this_process(monkeypatch):
    from shared.ratelimit import storage_url
    from shared.settings import Settings

    monkeypatch.setenv("CAREROUTE_BROKER_URL", "filesystem://")
    assert storage_url(Settings()) == "memory://"


NETS = parse_networks("10.0.0.0/8, 198.51.100.7/32, 2001:db8::/32")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", ["1.2.3.4"], "203.0.113.5"),  # untrusted peer: header ignored
        ("198.51.100.7", [], "198.51.100.7"),  # trusted peer, no header
        ("198.51.100.7", ["203.0.113.5"], "203.0.113.5"),
        ("198.51.100.7", ["1.1.1.1, 203.0.113.5"], "203.0.113.5"),  # left part is the client's own
        ("198.51.100.7", ["203.0.113.5, 10.1.2.3"], "203.0.113.5"),  # our inner proxy appended
        ("198.51.100.7", ["203.0.113.5", "10.1.2.3"], "203.0.113.5"),  # two header lines
        ("198.51.100.7", ["garbage, 10.1.2.3"], "10.1.2.3"),  # malformed: the last good hop
        ("198.51.100.7", ["10.9.9.9"], "10.9.9.9"),  # all trusted: the left-most
        ("::ffff:198.51.100.7", ["203.0.113.5:5555"], "203.0.113.5"),  # mapped v4, port stripped
        ("2001:db8::1", ["[2001:db9::5]:443"], "2001:db9::5"),
        ("testclient", ["1.2.3.4"], "testclient"),
    ],
)
def test_the_client_address_is_the_right_most_untrusted_hop(peer, forwarded, expected):
    assert resolve(peer, forwarded, NETS) == expected


def test_sign_in_attempts_and_token_requests_are_limited_per_client_address(db, monkeypatch):
    """Sign-in attempts and the SMART token endpoint count per real client address (pages do not)."""
    from careroute.asgi import build_app
    from tests.support.auth import ORIGIN, form_token

    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_SIGN_IN", "2/minute")
    monkeypatch.setenv("CAREROUTE_RATE_LIMIT_FHIR_TOKEN", "2/minute")
    reset_settings_cache()
    limiter = get_limiter()
    limiter.reset()
    app = build_app()

    def attempts(peer: str, n: int) -> list:
        client = TestClient(app, client=(peer, 40000))
        page = client.get("/console/sign-in")
        form = {
            "email": "nobody@clinic.example",
            "password": "not the password",
            "csrf_token": form_token(page.text),
        }
        return [client.post("/console/sign-in", data=form, headers={"Origin": ORIGIN}) for _ in range(n)]

    def token_requests(peer: str, n: int) -> list:
        client = TestClient(app, client=(peer, 40000))
        return [client.post("/fhir/r4/auth/token", data={"grant_type": "password"}) for _ in range(n)]

    try:
        client = TestClient(app, client=(CLIENT, 40000))
        assert [client.get("/console/sign-in").status_code for _ in range(4)] == [200] * 4  # pages: free
        tried = attempts(CLIENT, 3)
        assert [r.status_code for r in tried] == [401, 401, 429]  # a wrong password, twice, then the limit
        refused = tried[-1]
        assert refused.headers["content-type"].startswith("text/html")  # the sign-in page's own shape
        assert "Too many requests" in refused.text and int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["content-security-policy"].startswith("default-src 'self'")
        assert [r.status_code for r in attempts(OTHER, 1)] == [401]  # another address: its own budget

        tokens = token_requests(CLIENT, 3)
        assert [r.status_code for r in tokens] == [400, 400, 429]
        assert tokens[-1].json()["error"] == "rate_limited"  # OAuth's shape, as token clients read
        assert (
            int(tokens[-1].headers["Retry-After"]) >= 1 and tokens[-1].headers["Cache-Control"] == "no-store"
        )
    finally:
        limiter.reset()
        monkeypatch.undo()
        reset_settings_cache()


def test_requests_arriving_together_build_one_limiter_without_errors(monkeypatch):
    """limits' storage constructor is not thread-safe (its dependency version check): the first
    requests of a fresh process used to fail with ConfigurationError when they came together."""
    import threading

    from shared import ratelimit

    ratelimit._limiter.cache_clear()
    built, errors = [], []
    start = threading.Barrier(6)

    def first_request():
        start.wait(5)
        try:
            built.append(ratelimit.get_limiter())
        except Exception as exc:  # noqa: BLE001  (the assertion shows it)
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == [] and len(built) == 6 and len({id(b) for b in built}) == 1
