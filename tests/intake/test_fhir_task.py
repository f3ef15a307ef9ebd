"""The Task reports back: a FHIR referral driven through the real pipeline and the real lead
actions, its Task read and searched at every step; the referral in the pipeline with its
diagnoses and screeners; the referrer's email and status page."""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
from urllib.parse import quote

from sqlmodel import col, select

from shared.db import unit_of_work
from shared.schema import OutboxEvent
from tests.factories import make_coordinator
from tests.support.fhir import FHIR_JSON, REFERRER_EMAIL, referral_bundle

ORG = "Harbor Psychiatry"
_done: set[int] = set()
# Canaries built at run time: a traceback printed to stderr shows source lines, not these values.
NARRATIVE = "-".join(["Canary", "Narrative", "7731"]) + " wants to disappear"
BAD_CODE = "-".join(["CANARY", "CODE"])


def _drain() -> None:
    """Run every pending outbox event's task in-process, until none is left."""
    from services.notify.tasks import notify_referrer, send_notification
    from services.routing.tasks import classify_lead, record_notification_sent, route_lead

    handlers = {
        "lead.received": classify_lead,
        "lead.classified": route_lead,
        "lead.routed": send_notification,
        "notification.sent": record_notification_sent,
        "referral.status_changed": notify_referrer,
    }
    for _ in range(10):
        with unit_of_work() as session:
            rows = [
                r
                for r in session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id))).all()
                if r.id not in _done
            ]
        if not rows:
            return
        for row in rows:
            _done.add(row.id)
            if row.event_type in handlers:
                handlers[row.event_type](row.payload)


def _submit(client, key, **kwargs) -> tuple[str, str]:
    answer = client.post(
        "/fhir/r4", content=json.dumps(referral_bundle(**kwargs)), headers={**FHIR_JSON, **key}
    )
    assert answer.status_code == 200, answer.text
    sr_id = answer.json()["entry"][1]["response"]["location"].split("/")[1]
    tasks = client.get(f"/fhir/r4/Task?based-on=ServiceRequest/{sr_id}", headers=key).json()
    return sr_id, tasks["entry"][0]["resource"]["id"]


def _lead_id(client, staff, sr_id) -> str:
    from shared.schema import FhirReferral

    with unit_of_work() as session:
        return str(
            session.exec(select(FhirReferral).where(FhirReferral.service_request_id == sr_id)).one().lead_id
        )


def _task(client, key, task_id) -> dict:
    response = client.get(f"/fhir/r4/Task/{task_id}", headers=key)
    assert response.status_code == 200
    assert response.headers["etag"] == f'W/"{response.json()["meta"]["versionId"]}"'
    return response.json()


def _act(client, staff, lead_id, action, body=None):
    response = client.post(
        f"/v1/leads/{lead_id}/{action}",
        content=json.dumps(body or {}),
        headers={"content-type": "application/json", **staff},
    )
    assert response.status_code == 200, response.text
    _drain()


def test_task_moves_through_every_state_as_the_lead_moves(client, make_key):
    _done.clear()
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    key, staff = make_key("provider", organization=ORG), make_key("supervisor")
    sr_id, task_id = _submit(client, key, phq9_item9=1)
    task = _task(client, key, task_id)
    assert task["status"] == "requested" and task["meta"]["versionId"] == "1"
    assert task["focus"] == {"reference": f"ServiceRequest/{sr_id}"} and task["basedOn"] == [task["focus"]]
    assert task["owner"]["display"] == "CareRoute clinic" and task["intent"] == "order"
    assert task["identifier"][0]["value"].startswith("R-") and task["for"]["reference"].startswith("Patient/")
    lead_id = _lead_id(client, staff, sr_id)

    _drain()  # classify, route, notify: the referral is received
    seen = [task["meta"]["lastUpdated"]]
    lead = client.get(f"/v1/leads/{lead_id}", headers=staff).json()
    assert lead["channel"] == "referral" and lead["status"] == "notified"
    assert "depression" in lead["classification"]["conditions"]  # ICD-10-CM F33.2
    assert lead["classification"]["urgency"] == "urgent"  # PHQ-9 item 9 = 1
    # The screener is above the text's own reading: a possible crisis, decided before acknowledging
    # (docs/routing.md, the triage safety net).
    assert lead["possible_crisis"] is True and lead["urgency"] == "crisis"
    downgrade = {
        "decision": "downgrade",
        "urgency": "urgent",
        "reason": "referrer_clarified",
        "note": "called Dr. Shah",
    }
    _act(client, staff, lead_id, "crisis-check", downgrade)
    steps = [("received", None, None)]
    steps.append(("accepted", "acknowledge", None))
    steps.append(("accepted", "status", {"status": "contacted"}))
    steps.append(("in-progress", "status", {"status": "scheduled"}))
    steps.append(("completed", "status", {"status": "closed", "reason": "first_visit_completed"}))
    version = 1
    for status, action, body in steps:
        if action:
            _act(client, staff, lead_id, action, body)
        task = _task(client, key, task_id)
        assert task["status"] == status
        if task["meta"]["lastUpdated"] != seen[-1]:
            version += 1
            seen.append(task["meta"]["lastUpdated"])
        assert task["meta"]["versionId"] == str(version)
    assert version == 5 and seen == sorted(seen)
    assert task["statusReason"]["coding"][0]["code"] == "first_visit_completed"
    assert task["executionPeriod"]["start"] and task["executionPeriod"]["end"]

    search = client.get(f"/fhir/r4/Task?focus=ServiceRequest/{sr_id}&status=completed", headers=key).json()
    assert search["type"] == "searchset" and search["total"] == 1
    assert search["entry"][0]["fullUrl"].endswith(f"/fhir/r4/Task/{task_id}")
    assert client.get("/fhir/r4/Task?status=requested,received", headers=key).json()["total"] == 0
    before = quote(seen[-2])
    assert client.get(f"/fhir/r4/Task?_lastUpdated=gt{before}", headers=key).json()["total"] == 1
    assert client.get(f"/fhir/r4/Task?_lastUpdated=gt{quote(seen[-1])}", headers=key).json()["total"] == 0
    assert client.get("/fhir/r4/Task?_lastUpdated=2026", headers=key).status_code == 400
    assert client.get("/fhir/r4/Task?status=finished", headers=key).status_code == 400


def test_rejected_task_carries_the_reason_and_the_alternative_offered(client, make_key):
    _done.clear()
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    key, staff = make_key("provider", organization=ORG), make_key("supervisor")
    sr_id, task_id = _submit(client, key)
    lead_id = _lead_id(client, staff, sr_id)
    _drain()
    _act(client, staff, lead_id, "acknowledge")
    alternative = {"kind": "community_mental_health", "service": "County behavioral health"}
    _act(client, staff, lead_id, "decline", {"reason": "insurance_not_accepted", "alternative": alternative})
    task = _task(client, key, task_id)
    assert task["status"] == "rejected" and task["meta"]["versionId"] == "4"
    assert task["statusReason"]["coding"][0]["code"] == "insurance_not_accepted"
    output = task["output"][0]["valueCodeableConcept"]
    assert (
        output["coding"][0]["code"] == "community_mental_health" and output["text"] == alternative["service"]
    )
    assert "Community mental health" in task["note"][0]["text"]
    assert client.get("/fhir/r4/Task?status=rejected", headers=key).json()["total"] == 1


def test_search_pages_and_polls_by_last_updated(client, make_key):
    _done.clear()
    key = make_key("provider", organization=ORG)
    for _ in range(3):
        _submit(client, key)
        time.sleep(0.002)
    first = client.get("/fhir/r4/Task?_count=2", headers=key).json()
    assert first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    rest = client.get(next_url.split("/fhir/r4", 1)[1].join(["/fhir/r4", ""]), headers=key).json()
    assert len(rest["entry"]) == 1
    newest = rest["entry"][0]["resource"]["meta"]["lastUpdated"]
    assert client.get(f"/fhir/r4/Task?_lastUpdated=gt{quote(newest)}", headers=key).json()["total"] == 0
    assert client.get(f"/fhir/r4/Task?_lastUpdated=ge{quote(newest)}", headers=key).json()["total"] == 1


def test_the_referrer_gets_the_status_email_and_page_for_a_fhir_referral(client, make_key):
    from shared.settings import get_settings

    from services.notify.adapters.email.file_outbox import list_outbox, read_outbox

    _done.clear()
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    key = make_key("provider", organization=ORG)
    _submit(client, key)
    _drain()
    outbox = get_settings().outbox_dir
    mine = [e for e in list_outbox(outbox) if e.to == REFERRER_EMAIL]
    assert mine and "received" in mine[-1].subject
    message = email.message_from_string(read_outbox(outbox, mine[-1].id), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Fhirpatient" not in text and "F33.2" not in text
    link = re.search(r"(/referrals/R-[0-9A-Z]+/status\?t=[^\s\"<]+)", text).group(1)
    page = client.get(link)
    assert page.status_code == 200 and "received" in page.text and "Fhirpatient" not in page.text


def test_no_phi_from_a_fhir_referral_reaches_logs_events_or_the_audit_trail(client, make_key, capfd):
    from shared.schema import AuditEvent

    _done.clear()
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression"])
    key = make_key("provider", organization=ORG)
    _submit(client, key, note=NARRATIVE)
    bad = referral_bundle(icd10=BAD_CODE)
    client.post("/fhir/r4", content=json.dumps(bad), headers={**FHIR_JSON, **key})
    _drain()
    captured = capfd.readouterr()
    with unit_of_work() as session:
        payloads = json.dumps([e.payload for e in session.exec(select(OutboxEvent)).all()])
        audit = json.dumps([a.detail for a in session.exec(select(AuditEvent)).all()])
    for canary in (
        "Fhirpatient",
        "555-0177",
        "5550177",
        "jordan@example.com",
        NARRATIVE.split()[0],
        BAD_CODE,
        "F33.2",
    ):
        for where in (captured.out, captured.err, payloads, audit):
            assert canary not in where, canary
