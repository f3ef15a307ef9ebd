"""Staff sign-in through the real pages: Argon2id (and its upgrade), TOTP enrolment and codes,
lockout with backoff, idle and absolute expiry, cookie flags, sign-out, local-only `next`."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
from argon2 import PasswordHasher
from sqlmodel import select

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import LoginAttempt, StaffSession, StaffUser
from tests.support.auth import ORIGIN, PASSWORD, form_token, make_user, sign_in
from tests.support.factories_auth import coordinator_person

from services.console.domain.review import safe_next


def _user(email: str) -> StaffUser:
    with unit_of_work() as db:
        return db.exec(select(StaffUser).where(StaffUser.email == email)).one()


def _raw_totp(email: str) -> dict:
    from sqlalchemy import text

    from shared.db import get_engine

    with get_engine().connect() as conn:
        query = text("SELECT totp_secret, totp_pending FROM staff_user WHERE email = :email")
        return dict(conn.execute(query, {"email": email}).mappings().one())


def _sessions() -> list[StaffSession]:
    with unit_of_work() as db:
        return list(db.exec(select(StaffSession)).all())


def test_password_is_argon2id_and_an_older_hash_is_upgraded_at_sign_in(client):
    user = make_user("call_center", email="agent@clinic.example")
    assert user.password_hash.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with unit_of_work() as db:
        row = db.get(StaffUser, user.id)
        row.password_hash = weak
        db.add(row)
    response = sign_in(client, "Agent@Clinic.example ")  # normalised like the stored email
    assert response.status_code == 303 and response.headers["location"] == "/console"
    assert _user("agent@clinic.example").password_hash.startswith("$argon2id$v=19$m=32768,t=2,p=1$")
    landing = client.get("/console")
    assert (
        landing.status_code == 200
        and "agent@clinic.example" in landing.text
        and "call_center" in landing.text
    )


def test_cookie_is_httponly_lax_and_not_secure_in_development(client):
    make_user("call_center", email="agent@clinic.example")
    cookie = sign_in(client, "agent@clinic.example").headers["set-cookie"]
    assert cookie.startswith("careroute_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie


def test_cookie_is_secure_with_the_host_prefix_in_production(client, monkeypatch):
    from fastapi.testclient import TestClient

    from careroute.asgi import app
    from shared.crypto import new_key
    from shared.settings import reset_settings_cache

    make_user("call_center", email="agent@clinic.example")
    monkeypatch.setenv("CAREROUTE_ENV", "production")
    monkeypatch.setenv("CAREROUTE_PHI_KEYS", f"k1:{new_key()}")  # production refuses to start without
    monkeypatch.setenv("CAREROUTE_PHI_ACTIVE_KEY_ID", "k1")
    reset_settings_cache()
    try:
        https = TestClient(app, base_url="https://testserver")  # a Secure cookie travels on https only
        response = sign_in(https, "agent@clinic.example", origin="https://testserver")
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    session_cookie = next(c for c in cookies if "careroute_session=" in c)
    assert session_cookie.startswith("__Host-careroute_session=")
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/" in session_cookie
    assert "Domain" not in session_cookie


def test_supervisor_enrols_totp_at_first_sign_in_and_then_needs_a_code(client):
    pat = coordinator_person("Pat Kim", "pat@clinic.example", role="supervisor")
    make_user("supervisor", email="pat@clinic.example", coordinator_id=pat.id)
    first = sign_in(client, "pat@clinic.example", next_path="/console?from=link")
    assert first.status_code == 303 and first.headers["location"] == "/console/mfa/enrol"
    token_after_password = client.cookies.get("careroute_session")
    assert client.get("/v1/audit").status_code == 401  # not signed in until the second factor
    page = client.get("/console/mfa/enrol")
    assert page.status_code == 200 and "<svg" in page.text and "https://" not in page.text  # no CDN
    uri = re.search(r"<code>(otpauth://[^<]+)</code>", page.text).group(1).replace("&amp;", "&")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert _user("pat@clinic.example").totp_secret is None
    assert _user("pat@clinic.example").totp_pending == secret  # the ORM decrypts it for the code
    stored = _raw_totp("pat@clinic.example")  # as the database holds it: the PHI format, no secret
    assert stored["totp_pending"].startswith("v1:dev:") and secret not in stored["totp_pending"]
    wrong = client.post(
        "/console/mfa/enrol",
        data={"code": "000000", "csrf_token": form_token(page.text)},
        headers={"Origin": ORIGIN},
    )
    assert wrong.status_code == 401
    done = client.post(
        "/console/mfa/enrol",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": form_token(page.text)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/console?from=link"
    assert client.cookies.get("careroute_session") != token_after_password  # rotated after MFA
    stored = _raw_totp("pat@clinic.example")  # moved to its own column: encrypted for that column
    assert stored["totp_pending"] is None and stored["totp_secret"].startswith("v1:dev:")
    assert client.get("/v1/audit").status_code == 200
    assert "Two-step sign-in: on" in client.get("/console").text

    client.cookies.clear()
    again = sign_in(client, "pat@clinic.example")
    assert again.headers["location"] == "/console/sign-in/code"
    code_page = client.get("/console/sign-in/code")
    code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))  # the next step: drift allowed
    ok = client.post(
        "/console/sign-in/code",
        data={"code": code, "csrf_token": form_token(code_page.text)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/console"
    # The same code again (a replay) is refused, even inside its 30 seconds.
    client.cookies.clear()
    sign_in(client, "pat@clinic.example")
    code_page = client.get("/console/sign-in/code")
    replay = client.post(
        "/console/sign-in/code",
        data={"code": code, "csrf_token": form_token(code_page.text)},
        headers={"Origin": ORIGIN},
    )
    assert replay.status_code == 401 and "not right" in replay.text


def test_unknown_email_and_wrong_password_read_the_same_and_lock_alike_with_backoff(client):
    make_user("call_center", email="agent@clinic.example")
    known = [sign_in(client, "agent@clinic.example", "wrong password!") for _ in range(5)]
    _forget_address_failures()  # judge the accounts alone here (the address lock has its own test)
    unknown = [sign_in(client, "nobody@clinic.example", "wrong password!") for _ in range(5)]
    assert {r.status_code for r in known + unknown} == {401}
    assert known[0].text.split("<form")[0] == unknown[0].text.split("<form")[0]  # the same words
    _forget_address_failures()
    for email in ("agent@clinic.example", "nobody@clinic.example"):
        locked = sign_in(client, email, PASSWORD)  # even the right password waits
        assert locked.status_code == 429 and 25 <= int(locked.headers["Retry-After"]) <= 30
    _age_attempts(seconds=31)  # the first lock (30 s) has passed
    assert sign_in(client, "agent@clinic.example", "wrong again!!").status_code == 401
    doubled = sign_in(client, "agent@clinic.example", PASSWORD)
    assert doubled.status_code == 429 and 55 <= int(doubled.headers["Retry-After"]) <= 60
    _age_attempts(seconds=61)
    assert sign_in(client, "agent@clinic.example", PASSWORD).status_code == 303


def test_failures_from_one_address_lock_that_address_across_accounts(client):
    for n in range(5):
        sign_in(client, f"guess{n}@clinic.example", "wrong password!")
    make_user("call_center", email="agent@clinic.example")
    locked = sign_in(client, "agent@clinic.example", PASSWORD)
    assert locked.status_code == 429


def _age_attempts(seconds: int) -> None:
    with unit_of_work() as db:
        for row in db.exec(select(LoginAttempt)).all():
            row.at = row.at - timedelta(seconds=seconds)
            db.add(row)


def _forget_address_failures() -> None:
    with unit_of_work() as db:
        for row in db.exec(select(LoginAttempt)).all():
            row.client_ip = None
            db.add(row)


def test_idle_and_absolute_expiry_sign_the_session_out(client):
    make_user("call_center", email="agent@clinic.example")
    sign_in(client, "agent@clinic.example")
    assert client.get("/console").status_code == 200
    with unit_of_work() as db:
        row = db.exec(select(StaffSession)).one()
        row.last_seen_at = utcnow() - timedelta(seconds=901)  # CAREROUTE_SESSION_IDLE_SECONDS = 900
        db.add(row)
    idle = client.get("/console", follow_redirects=False)
    assert idle.status_code == 303 and idle.headers["location"].startswith("/console/sign-in")
    assert _sessions() == []  # the expired row is gone
    sign_in(client, "agent@clinic.example")
    with unit_of_work() as db:
        row = db.exec(select(StaffSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)  # 12 hours after sign-in, however busy
        db.add(row)
    assert client.get("/v1/audit").status_code == 401


def test_sign_out_deletes_the_session_and_the_old_cookie_is_worthless(client):
    make_user(
        "supervisor",
        email="pat@clinic.example",
        coordinator_id=coordinator_person("Pat", "pat@clinic.example").id,
        totp_secret=pyotp.random_base32(),
    )
    make_user("call_center", email="agent@clinic.example")
    sign_in(client, "agent@clinic.example")
    token = client.cookies.get("careroute_session")
    landing = client.get("/console")
    out = client.post(
        "/console/sign-out",
        data={"csrf_token": form_token(landing.text)},
        headers={"Origin": ORIGIN},
        follow_redirects=False,
    )
    assert out.status_code == 303 and _sessions() == []
    client.cookies.set("careroute_session", token)
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_disabled_account_cannot_sign_in_and_its_sessions_end(client):
    from shared.auth import accounts

    make_user("call_center", email="agent@clinic.example")
    sign_in(client, "agent@clinic.example")
    with unit_of_work() as db:
        accounts.disable(db, accounts.by_email(db, "agent@clinic.example"), utcnow())
    assert client.get("/console", follow_redirects=False).status_code == 303
    refused = sign_in(client, "agent@clinic.example")
    assert refused.status_code == 401 and "not right" in refused.text


def test_sign_in_form_refuses_a_foreign_origin_or_a_missing_token(client):
    make_user("call_center", email="agent@clinic.example")
    page = client.get("/console/sign-in")
    data = {"email": "agent@clinic.example", "password": PASSWORD, "csrf_token": form_token(page.text)}
    assert (
        client.post("/console/sign-in", data=data, headers={"Origin": "https://evil.example"}).status_code
        == 403
    )
    assert (
        client.post(
            "/console/sign-in", data={**data, "csrf_token": "x"}, headers={"Origin": ORIGIN}
        ).status_code
        == 403
    )
    assert _sessions() == []


def test_next_accepts_only_local_paths():
    for hostile in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/console\r\nSet-Cookie: x",
        "",
        "console",
    ):
        assert safe_next(hostile) == "/console"
    assert safe_next("/console/leads/R-ABC123?t=token") == "/console/leads/R-ABC123?t=token"


def test_a_session_token_from_before_sign_in_is_worthless_after_it(client):
    """Session fixation: whatever session cookie the browser carried (here a half-finished sign-in)
    is ended at sign-in, and a new token is set. (A fully signed-in browser is sent on from the
    sign-in page; the `__Host-` cookie prefix keeps other hosts from planting one in production.)"""
    from shared.auth.sessions import MFA, start_session

    planted_user = make_user("call_center", email="planted@clinic.example")
    with unit_of_work() as db:
        planted = start_session(db, db.get(StaffUser, planted_user.id), MFA, utcnow(), None, None)
    client.cookies.set("careroute_session", planted)
    make_user("call_center", email="agent@clinic.example")
    response = sign_in(client, "agent@clinic.example")
    new_token = response.cookies.get("careroute_session")
    assert response.status_code == 303 and new_token and new_token != planted
    with unit_of_work() as db:
        owners = {row.user_id for row in db.exec(select(StaffSession)).all()}
    assert owners == {_user("agent@clinic.example").id}  # the planted session is gone
