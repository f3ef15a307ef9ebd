"""The staff console's pages in the access matrix (tests/console/test_access_matrix.py): the queue,
the lead page and its forms, the supervisor pages and the spam-review decisions. Pages resolve the
browser's session themselves: a key or token is not a browser (303 to sign-in); a role the page is
not for gets 403, a lead outside the reader's scope 404. Cells as in the matrix."""

from __future__ import annotations

from tests.console.matrix_requests import desk_review
from tests.console.world import World

CONTACTED = {"status": "contacted"}
CONFIRM = {"decision": "confirm", "reason": "risk_confirmed_in_contact"}
DECLINE_FORM = {"reason": "out_of_area", "alternative": "988"}


def page(path: str):
    def build(world: World, caller):
        return "GET", path, {}

    return build


def desk(pick: str, action: str = "", fields: dict | None = None, **lead):
    """The console's lead page (GET) or one of its forms (POST, with the session's CSRF token)."""

    def build(world: World, caller):
        target = world.lead(world.dana if pick == "Dana's" else world.sam, **lead)
        if not action:
            return "GET", f"/console/lead/{target.reference}", {}
        data = dict(fields(world) if callable(fields) else fields or {})
        if caller.kind == "session":
            data["csrf_token"] = "@session"
        return "POST", f"/console/lead/{target.reference}/{action}", {"data": data}

    return build


def spam(action: str):
    def build(world: World, caller):
        held = world.lead(world.sam, status="spam_review")
        data = {"csrf_token": "@session"} if caller.kind == "session" else {}
        return "POST", f"/console/spam/{held.reference}/{action}", {"data": data}

    return build


def staff_page_rows() -> list[tuple]:
    # fmt: off
    return [
        ("GET /console/queue",                         "-",                   ((303, 403), (303, 403), (303, 200), (303, 200), (303, 403), 303, 303), page("/console/queue")),
        ("GET /console/lead/{reference}",              "Dana's",              ((303, 403), (303, 403), (303, 200), (303, 200), (303, 403), 303, 303), desk("Dana's")),
        ("GET /console/lead/{reference}",              "Sam's",               ((303, 403), (303, 403), (303, 404), (303, 200), (303, 403), 303, 303), desk("Sam's")),
        ("POST /console/lead/{reference}/acknowledge", "Dana's",              ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk("Dana's", "acknowledge")),
        ("POST /console/lead/{reference}/acknowledge", "Sam's",               ((303, 403), (303, 403), (303, 404), (303, 303), (303, 403), 303, 303), desk("Sam's", "acknowledge")),
        ("POST /console/lead/{reference}/claim",       "Sam's",               ((303, 403), (303, 403), (303, 404), (303, 303), (303, 403), 303, 303), desk("Sam's", "claim")),
        ("POST /console/lead/{reference}/decline",     "Dana's",              ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk("Dana's", "decline", DECLINE_FORM)),
        ("POST /console/lead/{reference}/reassign",    "Dana's",              ((303, 403), (303, 403), (303, 404), (303, 303), (303, 403), 303, 303), desk("Dana's", "reassign", lambda w: {"coordinator_id": str(w.sam.id)})),
        ("POST /console/lead/{reference}/status",      "Dana's",              ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk("Dana's", "status", CONTACTED, status="acknowledged")),
        ("POST /console/lead/{reference}/notes",       "Sam's",               ((303, 403), (303, 403), (303, 404), (303, 303), (303, 403), 303, 303), desk("Sam's", "notes", {"body": "called back"})),
        ("POST /console/lead/{reference}/calls",       "Dana's",              ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk("Dana's", "calls", {"outcome": "no_answer"})),
        ("POST /console/lead/{reference}/crisis-check", "Dana's, possible crisis", ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk("Dana's", "crisis-check", CONFIRM, urgency="crisis", crisis_check="pending")),
        ("POST /console/lead/{reference}/clinical-review", "Dana reviews",   ((303, 403), (303, 403), (303, 303), (303, 303), (303, 403), 303, 303), desk_review),
        ("GET /console/dashboard",                     "-",                   ((303, 403), (303, 403), (303, 403), (303, 200), (303, 403), 303, 303), page("/console/dashboard")),
        ("GET /console/escalations",                   "-",                   ((303, 403), (303, 403), (303, 403), (303, 200), (303, 403), 303, 303), page("/console/escalations")),
        ("GET /console/spam",                          "-",                   ((303, 403), (303, 403), (303, 403), (303, 200), (303, 403), 303, 303), page("/console/spam")),
        ("GET /console/audit",                         "-",                   ((303, 403), (303, 403), (303, 403), (303, 200), (303, 403), 303, 303), page("/console/audit")),
        ("GET /console/directory",                     "-",                   ((303, 403), (303, 403), (303, 403), (303, 200), (303, 403), 303, 303), page("/console/directory")),
        ("POST /console/spam/{reference}/release",    "a held lead",         ((303, 403), (303, 403), (303, 403), (303, 303), (303, 403), 303, 303), spam("release")),
        ("POST /console/spam/{reference}/discard",    "a held lead",         ((303, 403), (303, 403), (303, 403), (303, 303), (303, 403), 303, 303), spam("discard")),
    ]
    # fmt: on
