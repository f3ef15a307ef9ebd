"""Every route declares its policy, and every route × every caller gets the answer this table
says: each role with an API key and with a signed-in session, Harbor's EHR with a SMART access
token (every grantable scope), plus anonymous. docs/security.md carries the same table (kept equal
below).

Cells: the status code; `k/s` when a key and a session differ. `mine` is a lead inside the
caller's scope (assigned to the coordinator Dana, logged by that call-center caller, referred by
Harbor Psychiatry); `theirs` is assigned to another coordinator (Sam), so only a supervisor's scope
holds it. FHIR reads name a referral of Harbor's or of another practice. Actions run on a fresh
lead for every request.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts

from shared.auth.policy import PolicyKind
from shared.http.deps import declared_policies
from shared.links import sign_token
from tests.console.matrix_console import staff_page_rows
from tests.console.matrix_requests import (
    fhir_post,
    fhir_read,
    refer_status,
    referrer_status,
    review_path,
    smart_token,
)
from tests.console.world import ELSEWHERE, HARBOR, World, build_world, client_for
from tests.factories import phone_log, referral, web_form
from tests.support.auth import ORIGIN, form_token

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
START, END = "<!-- access-matrix:start -->", "<!-- access-matrix:end -->"
COLUMNS = ("provider", "call_center", "coordinator", "supervisor", "admin", "smart", "anonymous")
NOTE = "x" * 25  # a break-the-glass reason long enough


@dataclass(frozen=True)
class Row:
    route: str  # "METHOD /path" as the app declares it
    target: str  # what the path names, in words
    cells: tuple  # one per COLUMNS: a status, or (key status, session status)
    request: Callable  # (world, caller) -> (method, url, kwargs)


def _json(body) -> dict:
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


def lead_path(pick: str, suffix: str = "", method: str = "GET", body=None, **lead):
    def build(world: World, caller):
        target = world.mine(caller, **lead) if pick == "mine" else world.theirs(**lead)
        return method, f"/v1/leads/{target.id}{suffix}", _json(body) if body is not None else {}

    return build


def plain(method: str, url, body=None, **kwargs):
    def build(world: World, caller):
        path = url(world) if callable(url) else url
        return method, path, _json(body(world) if callable(body) else body) if body is not None else kwargs

    return build


def waiting_claim(pick: str):
    def build(world: World, caller):
        pool = [world.dana] if pick == "mine" else [world.sam]
        lead = world.lead(None, status="waiting", candidates=pool)
        return "POST", f"/v1/leads/{lead.id}/claim", {}

    return build


def link(action: str, form: dict | None = None):
    def build(world: World, caller):
        lead = world.lead(world.dana)
        token = sign_token(lead.reference, world.dana.id)
        if action == "open":
            return "GET", f"/console/leads/{lead.reference}?t={token}", {}
        data = {"t": token, **(form or {})}
        if caller.kind == "session":
            data["csrf_token"] = "@session"  # filled in with the caller's token when sent
        return "POST", f"/console/leads/{lead.reference}/{action}", {"data": data}

    return build


def form(method: str, path: str, fields: dict | None = None):
    def build(world: World, caller):
        data = dict(fields or {})
        if caller.kind == "session":
            data["csrf_token"] = "@session"
        return method, path, {"data": data}

    return build


def reassign(world: World, caller):
    target = fresh_coordinator(world).rsplit("/", 1)[1]
    return "POST", f"/v1/leads/{world.lead(world.dana).id}/reassign", _json({"coordinator_id": target})


def sign_in_form(world: World, caller):
    return "POST", "/console/sign-in", {"sign_in": True}


_serial = itertools.count()
NEW_COORDINATOR = lambda w: {"name": "New Person", "email": f"new{next(_serial)}@clinic.example"}  # noqa: E731
DIRECTORY = {"coordinators": [{"name": "Dana Reyes", "email": "dana@clinic.example"}]}


def fresh_coordinator(world: World) -> str:
    from tests.factories import make_coordinator

    person = make_coordinator(name="Temp", email=f"temp{next(_serial)}@clinic.example")
    return f"/v1/coordinators/{person.id}"


RULES = {"pools": {"everyone": {}}, "rules": [{"name": "everyone", "route": {"pool": "everyone"}}]}
DECLINE = {"reason": "out_of_area", "alternative": {"kind": "988"}}
PREVIEW = {"notes": "low mood for months, asking about ketamine"}
CONTACTED = {"status": "contacted"}
CANNOT_SERVE = {"reason": "out_of_area", "alternative": "988"}

# fmt: off
#   route                                           target                 provider  call_center coordinator supervisor admin  smart anonymous
CONFIRM = {"decision": "confirm", "reason": "risk_confirmed_in_contact"}

ROWS = [
    Row("POST /v1/inquiries/web",                     "-",                   (202,      202,       202,       202,       202,   202,   202), plain("POST", "/v1/inquiries/web", web_form())),
    Row("GET /v1/inquiries/web/form",                 "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/v1/inquiries/web/form")),
    Row("POST /v1/inquiries/phone",                   "-",                   (403,      202,       403,       403,       403,   403,   401), plain("POST", "/v1/inquiries/phone", phone_log())),
    Row("POST /v1/referrals",                         "-",                   (202,      403,       403,       403,       403,   403,   401), plain("POST", "/v1/referrals", referral())),
    Row("GET /v1/leads/{lead_id}",                    "mine",                (200,      200,       200,       200,       404,   403,   401), lead_path("mine")),
    Row("GET /v1/leads/{lead_id}",                    "theirs",              (404,      404,       404,       200,       404,   403,   401), lead_path("theirs")),
    Row("POST /v1/triage/preview",                    "-",                   (403,      200,       403,       403,       200,   403,   401), plain("POST", "/v1/triage/preview", PREVIEW)),
    Row("GET /v1/coordinators",                       "-",                   (403,      403,       403,       200,       200,   403,   401), plain("GET", "/v1/coordinators")),
    Row("POST /v1/coordinators",                      "-",                   (403,      403,       403,       403,       201,   403,   401), plain("POST", "/v1/coordinators", NEW_COORDINATOR)),
    Row("GET /v1/coordinators/{coordinator_id}",      "Dana",                (403,      403,       403,       200,       200,   403,   401), plain("GET", lambda w: f"/v1/coordinators/{w.dana.id}")),
    Row("PATCH /v1/coordinators/{coordinator_id}",    "Sam",                 (403,      403,       403,       200,       200,   403,   401), plain("PATCH", lambda w: f"/v1/coordinators/{w.sam.id}", {"paused": False})),
    Row("DELETE /v1/coordinators/{coordinator_id}",   "a new person",        (403,      403,       403,       403,       200,   403,   401), plain("DELETE", fresh_coordinator)),
    Row("POST /v1/coordinators/{coordinator_id}/keys", "Dana",               (403,      403,       403,       403,       201,   403,   401), plain("POST", lambda w: f"/v1/coordinators/{w.dana.id}/keys", {"role": "coordinator"})),
    Row("GET /v1/directory",                          "-",                   (403,      403,       403,       200,       200,   403,   401), plain("GET", "/v1/directory")),
    Row("PUT /v1/directory",                          "-",                   (403,      403,       403,       403,       200,   403,   401), plain("PUT", "/v1/directory", DIRECTORY)),
    Row("GET /v1/routing/rules",                      "-",                   (403,      403,       403,       200,       200,   403,   401), plain("GET", "/v1/routing/rules")),
    Row("PUT /v1/routing/rules",                      "-",                   (403,      403,       403,       403,       200,   403,   401), plain("PUT", "/v1/routing/rules", RULES)),
    Row("GET /v1/oncall",                             "-",                   (403,      403,       403,       200,       200,   403,   401), plain("GET", "/v1/oncall")),
    Row("POST /v1/leads/{lead_id}/acknowledge",       "mine",                (403,      403,       200,       200,       403,   403,   401), lead_path("mine", "/acknowledge", "POST")),
    Row("POST /v1/leads/{lead_id}/acknowledge",       "theirs",              (403,      403,       404,       200,       403,   403,   401), lead_path("theirs", "/acknowledge", "POST")),
    Row("POST /v1/leads/{lead_id}/claim",             "waiting, mine",       (403,      403,       200,       200,       403,   403,   401), waiting_claim("mine")),
    Row("POST /v1/leads/{lead_id}/claim",             "waiting, theirs",     (403,      403,       404,       200,       403,   403,   401), waiting_claim("theirs")),
    Row("POST /v1/leads/{lead_id}/decline",           "mine",                (403,      403,       200,       200,       403,   403,   401), lead_path("mine", "/decline", "POST", DECLINE)),
    Row("POST /v1/leads/{lead_id}/decline",           "theirs",              (403,      403,       404,       200,       403,   403,   401), lead_path("theirs", "/decline", "POST", DECLINE)),
    Row("POST /v1/leads/{lead_id}/reassign",          "mine",                (403,      403,       403,       200,       403,   403,   401), reassign),
    Row("POST /v1/leads/{lead_id}/status",            "mine",                (403,      403,       200,       200,       403,   403,   401), lead_path("mine", "/status", "POST", CONTACTED, status="acknowledged")),
    Row("POST /v1/leads/{lead_id}/status",            "theirs",              (403,      403,       404,       200,       403,   403,   401), lead_path("theirs", "/status", "POST", CONTACTED, status="acknowledged")),
    Row("POST /v1/leads/{lead_id}/crisis-check",      "mine, possible crisis", (403,    403,       200,       200,       403,   403,   401), lead_path("mine", "/crisis-check", "POST", CONFIRM, urgency="crisis", crisis_check="pending")),
    Row("POST /v1/leads/{lead_id}/crisis-check",      "theirs, possible crisis", (403,  403,       404,       200,       403,   403,   401), lead_path("theirs", "/crisis-check", "POST", CONFIRM, urgency="crisis", crisis_check="pending")),
    Row("POST /v1/leads/{lead_id}/clinical-review",   "mine, Dana reviews",  (403,      403,       200,       200,       403,   403,   401), review_path(reviewer=True)),
    Row("POST /v1/leads/{lead_id}/clinical-review",   "mine, Dana owns it",  (403,      403,       403,       200,       403,   403,   401), review_path(reviewer=False)),
    Row("GET /v1/leads/{lead_id}/routing",            "mine",                (403,      403,       200,       200,       200,   403,   401), lead_path("mine", "/routing")),
    Row("GET /v1/leads/{lead_id}/routing",            "theirs",              (403,      403,       404,       200,       200,   403,   401), lead_path("theirs", "/routing")),
    Row("POST /v1/leads/{lead_id}/break-glass",       "theirs",              (403,      403,       403,       403,       201,   403,   401), lead_path("theirs", "/break-glass", "POST", {"reason": NOTE})),
    Row("GET /v1/audit",                              "-",                   (403,      403,       403,       200,       403,   403,   401), plain("GET", "/v1/audit")),
    Row("GET /v1/audit/export",                       "-",                   (403,      403,       403,       200,       403,   403,   401), plain("GET", "/v1/audit/export")),
    # FHIR: a provider's key or SMART token, bearer only (a console session is not consulted: 401).
    Row("GET /fhir/r4/metadata",                      "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/fhir/r4/metadata")),
    Row("GET /fhir/r4/.well-known/smart-configuration", "-",                 (200,      200,       200,       200,       200,   200,   200), plain("GET", "/fhir/r4/.well-known/smart-configuration")),
    Row("GET /.well-known/smart-configuration",       "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/.well-known/smart-configuration")),
    Row("POST /fhir/r4/auth/token",                   "Harbor EHR's assertion", (200,   200,       200,       200,       200,   200,   200), smart_token),
    Row("POST /fhir/r4",                              "a transaction Bundle", ((200, 401), (403, 401), (403, 401), (403, 401), (403, 401), 200, 401), fhir_post("/fhir/r4")),
    Row("POST /fhir/r4/ServiceRequest",               "contained Patient",   ((201, 401), (403, 401), (403, 401), (403, 401), (403, 401), 201, 401), fhir_post("/fhir/r4/ServiceRequest")),
    Row("GET /fhir/r4/ServiceRequest/{resource_id}",  "Harbor's",            ((200, 401), (403, 401), (403, 401), (403, 401), (403, 401), 200, 401), fhir_read("ServiceRequest", HARBOR)),
    Row("GET /fhir/r4/ServiceRequest/{resource_id}",  "another practice's",  ((404, 401), (403, 401), (403, 401), (403, 401), (403, 401), 404, 401), fhir_read("ServiceRequest", ELSEWHERE)),
    Row("GET /fhir/r4/Task/{task_id}",                "Harbor's",            ((200, 401), (403, 401), (403, 401), (403, 401), (403, 401), 200, 401), fhir_read("Task", HARBOR)),
    Row("GET /fhir/r4/Task/{task_id}",                "another practice's",  ((404, 401), (403, 401), (403, 401), (403, 401), (403, 401), 404, 401), fhir_read("Task", ELSEWHERE)),
    Row("GET /fhir/r4/Task",                          "-",                   ((200, 401), (403, 401), (403, 401), (403, 401), (403, 401), 200, 401), plain("GET", "/fhir/r4/Task")),
    Row("GET /console/leads/{reference}",             "Dana's link",         (200,      200,       (200, 303), 200,       200,   200,   200), link("open")),
    Row("POST /console/leads/{reference}/acknowledge", "Dana's link",        (200,      200,       200,       200,       200,   200,   200), link("acknowledge")),
    Row("POST /console/leads/{reference}/decline",    "Dana's link",         ((303, 403), (303, 403), (303, 200), (303, 403), (303, 403), 303, 303), link("decline", CANNOT_SERVE)),
    Row("POST /v1/webhooks/sendgrid",                 "unsigned",            (401,      401,       401,       401,       401,   401,   401), plain("POST", "/v1/webhooks/sendgrid", [])),
    Row("POST /v1/webhooks/twilio/sms",               "unsigned",            (403,      403,       403,       403,       403,   403,   403), plain("POST", "/v1/webhooks/twilio/sms", {})),
    Row("POST /v1/webhooks/twilio/status",            "unsigned",            (403,      403,       403,       403,       403,   403,   403), plain("POST", "/v1/webhooks/twilio/status", {})),
    Row("GET /referrals/{reference}/status",          "referrer's link",     (200,      200,       200,       200,       200,   200,   200), referrer_status),
    Row("GET /metrics",                               "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/metrics")),
    Row("GET /console/sign-in",                       "-",                   ((200, 303), (200, 303), (200, 303), (200, 303), (200, 303), 200, 200), plain("GET", "/console/sign-in")),
    # A signed-in browser is sent on from the sign-in page, so it holds no sign-in form token.
    Row("POST /console/sign-in",                      "right password",      ((303, 403), (303, 403), (303, 403), (303, 403), (303, 403), 303, 303), sign_in_form),
    Row("GET /console/sign-in/code",                  "-",                   (303,      303,       303,       303,       303,   303,   303), plain("GET", "/console/sign-in/code")),
    Row("POST /console/sign-in/code",                 "-",                   (303,      303,       303,       303,       303,   303,   303), form("POST", "/console/sign-in/code", {"code": "1"})),
    Row("GET /console/mfa/enrol",                     "-",                   ((303, 200), (303, 200), (303, 200), (303, 200), (303, 200), 303, 303), plain("GET", "/console/mfa/enrol")),
    Row("POST /console/mfa/enrol",                    "a wrong code",        ((303, 401), (303, 401), (303, 401), (303, 401), (303, 401), 303, 303), form("POST", "/console/mfa/enrol", {"code": "000000"})),
    Row("GET /console",                               "-",                   ((303, 200), (303, 200), (303, 200), (303, 200), (303, 200), 303, 303), plain("GET", "/console")),
    Row("POST /console/sign-out",                     "-",                   (303,      303,       303,       303,       303,   303,   303), form("POST", "/console/sign-out")),
    # Intake's form pages: the public form for anyone; the call log for signed-in agents only
    # (pages are for people: a key or token gets 401, no session a 303 to sign-in).
    Row("GET /inquiry",                               "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/inquiry")),
    Row("POST /inquiry",                              "an empty form",       (422,      422,       422,       422,       422,   422,   422), form("POST", "/inquiry")),
    Row("GET /console/calls/new",                     "-",                   ((401, 403), (401, 200), (401, 403), (401, 403), (401, 403), 401, 303), plain("GET", "/console/calls/new")),
    Row("POST /console/calls/new",                    "an empty form",       ((401, 403), (401, 422), (401, 403), (401, 403), (401, 403), 401, 303), form("POST", "/console/calls/new")),
    Row("POST /console/calls/preview",                "an empty draft",      ((401, 403), (401, 200), (401, 403), (401, 403), (401, 403), 401, 303), form("POST", "/console/calls/preview")),
    Row("GET /refer",                                 "-",                   ((401, 200), (401, 403), (401, 403), (401, 403), (401, 403), 401, 303), plain("GET", "/refer")),
    Row("POST /refer",                                "an empty form",       ((401, 422), (401, 403), (401, 403), (401, 403), (401, 403), 401, 303), form("POST", "/refer")),
    Row("GET /refer/{reference}",                     "Harbor's",            ((401, 200), (401, 403), (401, 403), (401, 403), (401, 403), 401, 303), refer_status(HARBOR)),
    Row("GET /refer/{reference}",                     "another practice's",  ((401, 404), (401, 403), (401, 403), (401, 403), (401, 403), 401, 303), refer_status(ELSEWHERE)),
    Row("GET /assets/{name}",                         "page.css",            (200,      200,       200,       200,       200,   200,   200), plain("GET", "/assets/page.css")),
    Row("GET /healthz",                               "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/healthz")),
    Row("GET /readyz",                                "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/readyz")),
    Row("GET /healthz/deep",                          "no loops running",    (503,      503,       503,       503,       503,   503,   503), plain("GET", "/healthz/deep")),
    Row("GET /openapi.json",                          "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/openapi.json")),
    Row("GET /docs",                                  "-",                   (200,      200,       200,       200,       200,   200,   200), plain("GET", "/docs")),
]
# fmt: on
ROWS += [Row(*row) for row in staff_page_rows()]  # the staff console's pages: matrix_console.py


def expected(row: Row, caller) -> int:
    cell = row.cells[COLUMNS.index(caller.column)]
    if isinstance(cell, tuple):
        return cell[0] if caller.kind == "key" else cell[1]
    return cell


def _app_routes() -> set[str]:
    from careroute.asgi import app

    return {f"{m} {ctx.path}" for ctx in iter_route_contexts(app.routes) for m in ctx.methods or ()}


def test_every_route_declares_its_policy():
    from careroute.asgi import app

    missing, mixed = [], []
    for ctx in iter_route_contexts(app.routes):
        policies = declared_policies(ctx)
        name = f"{sorted(ctx.methods or [])} {ctx.path}"
        if not policies:
            missing.append(name)
        kinds = {p.kind for p in policies}
        if PolicyKind.public in kinds and len(kinds) > 1:
            mixed.append(name)
    assert not missing, f"routes without a declared policy: {missing}"
    assert not mixed, f"routes both public and restricted: {mixed}"


def test_a_route_without_a_policy_is_caught():
    from fastapi import APIRouter, FastAPI

    probe = FastAPI()
    router = APIRouter()
    router.add_api_route("/undeclared", lambda: {}, methods=["GET"])
    probe.include_router(router)
    [ctx] = [c for c in iter_route_contexts(probe.routes) if c.path == "/undeclared"]
    assert declared_policies(ctx) == []


def test_the_matrix_covers_every_route():
    assert {r.route for r in ROWS} == _app_routes()


@pytest.fixture
def world(db, monkeypatch):
    from shared.settings import reset_settings_cache
    from tests.notify.test_webhook_endpoint import keypair

    monkeypatch.setenv("CAREROUTE_SENDGRID_WEBHOOK_PUBLIC_KEY", keypair()[1])
    reset_settings_cache()
    yield build_world()
    monkeypatch.undo()
    reset_settings_cache()


def _send(app, world: World, row: Row, caller):
    client, headers = client_for(app, caller)
    method, url, kwargs = row.request(world, caller)
    if kwargs.pop("sign_in", False):
        page = client.get("/console/sign-in")
        who = world.caller("call_center", "session").user
        kwargs = {
            "data": {
                "email": who.email,
                "password": "correct horse battery staple",
                "csrf_token": form_token(page.text),
            },
            "headers": {"Origin": ORIGIN},
        }
    data = kwargs.get("data")
    if data and data.get("csrf_token") == "@session":
        data["csrf_token"] = headers["X-CSRF-Token"]
    merged = {**headers, **kwargs.pop("headers", {})}
    if "data" in kwargs:
        merged.pop("X-CSRF-Token", None)  # a form carries its token in the body
    return client.request(method, url, headers=merged, follow_redirects=False, **kwargs)


def test_every_route_and_every_caller_get_the_expected_answer(world):
    from careroute.asgi import app

    wrong = []
    for row in ROWS:
        for caller in world.callers:
            response = _send(app, world, row, caller)
            want = expected(row, caller)
            if response.status_code != want:
                wrong.append(
                    f"{row.route} [{row.target}] as {caller.label}: {response.status_code}, want {want}"
                    f" ({response.text[:120]})"
                )
    assert not wrong, "\n".join(wrong)


def render_matrix() -> str:
    def cell(value) -> str:
        return f"k {value[0]} / s {value[1]}" if isinstance(value, tuple) else str(value)

    lines = [
        "| route | target | " + " | ".join(COLUMNS) + " |",
        "|---|---|" + "---|" * len(COLUMNS),
    ]
    for row in ROWS:
        lines.append(f"| `{row.route}` | {row.target} | " + " | ".join(cell(c) for c in row.cells) + " |")
    return "\n".join(lines)


def test_docs_security_md_carries_this_matrix():
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert documented == render_matrix(), "docs/security.md is out of date; paste:\n" + render_matrix()
