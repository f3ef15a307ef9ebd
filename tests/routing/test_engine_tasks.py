"""The routing engine against the real database: rules and explanations, waiting for a shift,
repeat contacts, the SLA ladder, pausing, notification failures and the coverage-gap alert.
Every test drives time through the injected `now` — nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from shared.db import unit_of_work
from shared.schema import (
    Assignment,
    Coordinator,
    Escalation,
    LeadState,
    OutboxEvent,
    ReviewerCopy,
    RoutingAlert,
    SlaDeadline,
)
from tests.factories import lead_record, make_classified_lead, make_coordinator

LA = ZoneInfo("America/Los_Angeles")
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=LA)


def events(event_type: str) -> list[dict]:
    with unit_of_work() as session:
        rows = session.exec(
            select(OutboxEvent).where(OutboxEvent.event_type == event_type).order_by(col(OutboxEvent.id))
        ).all()
    return [r.payload for r in rows]


def lead_row(payload):
    return lead_record(payload["lead_id"])


def route(payload, now=TUESDAY_10):
    from services.routing.tasks.route import route_once

    return route_once(payload, now=now)


def sweep(now):
    from services.routing.tasks.deadlines import sweep_deadlines_once

    return sweep_deadlines_once(now=now)


def test_assignment_records_rule_version_and_explanation(db):
    lee = make_coordinator(
        name="Lee Park",
        email="lee@clinic.example",
        specialties=["ocd"],
        out_of_office=[{"start": "2026-11-30T00:00:00-08:00", "end": "2026-12-02T00:00:00-08:00"}],
    )
    make_coordinator(name="Sam Ortiz", email="sam@clinic.example", specialties=["ocd"], max_open_leads=1)
    dana = make_coordinator(name="Dana Reyes", email="dana@clinic.example", specialties=["ocd"])
    route(make_classified_lead(conditions=["depression"], primary="depression"))  # Sam → 1/1 (full)
    with unit_of_work() as session:  # make sure Sam holds the first lead, so Sam is at capacity
        first = session.exec(select(LeadState)).one()
        sam = session.exec(select(Coordinator).where(Coordinator.email == "sam@clinic.example")).one()
        first.coordinator_id = sam.id
        session.add(first)
    payload = make_classified_lead(conditions=["ocd"], primary="ocd")
    assert route(payload) == "routed"
    with unit_of_work() as session:
        assignment = session.exec(select(Assignment).where(Assignment.lead_id == payload["lead_id"])).one()
    assert assignment.coordinator_id == dana.id
    assert (assignment.rule_name, assignment.rule_version) == ("ocd", 1)
    assert assignment.reason.startswith("rule ocd v1 matched; pool ocd; round robin → Dana Reyes")
    assert "Lee Park (out of office until 2026-12-02 00:00)" in assignment.reason
    assert "Sam Ortiz (at capacity 1/1)" in assignment.reason
    skipped = {s["name"]: s["reason"] for s in assignment.explanation["skipped"]}
    assert skipped == {"Lee Park": "out of office until 2026-12-02 00:00", "Sam Ortiz": "at capacity 1/1"}
    routed = events("lead.routed")[-1]
    assert routed["coordinator_id"] == str(dana.id) and routed["acknowledge_by"]
    assert lee.id not in {a.coordinator_id for a in [assignment]}


def test_flagged_lead_copies_a_clinical_reviewer(db):
    sam = make_coordinator(name="Sam", email="sam@clinic.example")
    morgan = make_coordinator(
        name="Morgan", email="morgan@clinic.example", role="clinical_reviewer", specialties=[]
    )
    payload = make_classified_lead(flags=["pregnant"])
    route(payload)
    with unit_of_work() as session:
        copy = session.exec(select(ReviewerCopy)).one()
    assert copy.coordinator_id == morgan.id and copy.flags == ["pregnant"]
    recipients = {e["coordinator_id"] for e in events("lead.routed")}
    assert recipients == {str(sam.id), str(morgan.id)}
    assert lead_row(payload).coordinator_id == sam.id  # the reviewer is copied, not the owner


def test_routine_lead_waits_for_the_next_shift_and_is_routed_then(db):
    lee = make_coordinator(name="Lee", email="lee@clinic.example", working_hours=WEEKDAYS)
    friday_night = datetime(2026, 12, 4, 20, 0, tzinfo=LA)
    payload = make_classified_lead()
    assert route(payload, now=friday_night) == "waiting"
    lead = lead_row(payload)
    assert lead.route_after == datetime(2026, 12, 7, 9, 0, tzinfo=LA)
    assert "next coordinator on shift at 2026-12-07 17:00 UTC" in lead.waiting_reason
    assert sweep(datetime(2026, 12, 7, 8, 59, tzinfo=LA)).get("waiting_redispatched") is None
    assert sweep(datetime(2026, 12, 7, 9, 0, tzinfo=LA))["waiting_redispatched"] == 1
    redispatched = events("lead.classified")[-1]
    assert redispatched["lead_id"] == payload["lead_id"]
    assert route(redispatched, now=datetime(2026, 12, 7, 9, 0, 5, tzinfo=LA)) == "routed"
    assert lead_row(payload).coordinator_id == lee.id


def test_urgent_lead_with_nobody_on_shift_goes_to_on_call(db):
    make_coordinator(name="Lee", email="lee@clinic.example", working_hours=WEEKDAYS)
    riley = make_coordinator(name="Riley", email="riley@clinic.example", working_hours=WEEKDAYS, on_call=True)
    payload = make_classified_lead(urgency="urgent")
    route(payload, now=datetime(2026, 12, 5, 3, 0, tzinfo=LA))  # Saturday 3 am
    lead = lead_row(payload)
    assert lead.status == "routed" and lead.coordinator_id == riley.id


def test_repeat_contact_goes_to_the_same_coordinator_and_raises_urgency(db):
    make_coordinator(name="Lee", email="lee@clinic.example")
    make_coordinator(name="Sam", email="sam@clinic.example")
    first = make_classified_lead(urgency="routine", phone="+19495550100", email="Ana@Example.com")
    route(first)
    owner = lead_row(first).coordinator_id
    for _ in range(3):  # whatever round robin would do next, the repeat goes to the same person
        second = make_classified_lead(urgency="crisis", phone=None, email="ana@example.com ")
        route(second)
        lead = lead_row(second)
        assert lead.coordinator_id == owner and str(lead.repeat_of_id) == first["lead_id"]
    routed = events("lead.routed")[-1]
    assert routed["repeat_contact"] is True and routed["urgency"] == "crisis"
    assert lead_row(first).urgency == "crisis"  # repeated help-seeking raised the open lead
    # The key is an HMAC, never the address itself.
    assert lead_row(first).email_hash and "ana" not in lead_row(first).email_hash
    unrelated = make_classified_lead(phone="+17145550142")
    route(unrelated)
    assert lead_row(unrelated).repeat_of_id is None


def test_old_or_closed_leads_are_not_repeat_contacts(db):
    make_coordinator(name="Lee", email="lee@clinic.example")
    # 31 days before the moment routing runs (TUESDAY_10), not before the wall clock: the test
    # began failing once the real date passed TUESDAY_10 + 1 day.
    old = make_classified_lead(phone="+19495550100", created_at=TUESDAY_10 - timedelta(days=31))
    route(old)
    again = make_classified_lead(phone="+19495550100")
    route(again)
    assert lead_row(again).repeat_of_id is None


def _team():
    pat = make_coordinator(name="Pat", email="pat@clinic.example", role="supervisor", specialties=[])
    riley = make_coordinator(
        name="Riley", email="riley@clinic.example", specialties=["anxiety"], on_call=True
    )
    sam = make_coordinator(name="Sam", email="sam@clinic.example", specialties=["anxiety"])
    dana = make_coordinator(
        name="Dana",
        email="dana@clinic.example",
        specialties=["depression"],
        supervisor_id=pat.id,
        backup_id=sam.id,
    )
    return pat, riley, sam, dana


def test_unacknowledged_urgent_lead_climbs_backup_supervisor_on_call(db):
    pat, riley, sam, dana = _team()
    payload = make_classified_lead(urgency="urgent")
    t0 = TUESDAY_10
    route(payload, now=t0)
    assert lead_row(payload).coordinator_id == dana.id
    assert sweep(t0 + timedelta(minutes=59)) == {}  # not yet due
    sweep(t0 + timedelta(hours=1))
    sweep(t0 + timedelta(hours=1, minutes=30))
    sweep(t0 + timedelta(hours=2))
    ladder = [(e["step"], e["role"], e["recipient_coordinator_id"]) for e in events("lead.escalated")]
    assert ladder == [
        (1, "backup", str(sam.id)),
        (2, "supervisor", str(pat.id)),
        (3, "on_call", str(riley.id)),
    ]
    sweep(t0 + timedelta(hours=3))  # past the last rung: an alert, not silence
    with unit_of_work() as session:
        alert = session.exec(select(RoutingAlert).where(RoutingAlert.kind == "ladder_exhausted")).one()
        assert session.exec(select(Escalation)).all().__len__() == 3
    assert alert.severity == "critical" and alert.lead_id == lead_row(payload).id


def test_crisis_pages_repeat_every_five_minutes_until_acknowledged(db):
    from services.routing.adapters.repository import routing_uow
    from services.routing.app.actions import acknowledge

    pat, riley, sam, dana = _team()
    payload = make_classified_lead(urgency="crisis")
    t0 = TUESDAY_10
    route(payload, now=t0)
    owner = lead_row(payload).coordinator_id
    assert owner == riley.id  # on call
    for minutes in (5, 10, 15):
        sweep(t0 + timedelta(minutes=minutes))
    repeats = [e for e in events("lead.escalated") if e["kind"] == "crisis_repeat"]
    assert [e["step"] for e in repeats] == [1, 2, 3]
    assert {e["recipient_coordinator_id"] for e in repeats} == {str(owner)}
    assert all(e["urgency"] == "crisis" for e in events("lead.escalated"))
    with routing_uow() as repo:
        lead, state = repo.lock(payload["lead_id"])
        acknowledge(repo, lead, state, owner, "test", t0 + timedelta(minutes=16))
    before = len(events("lead.escalated"))
    sweep(t0 + timedelta(minutes=30))
    assert len(events("lead.escalated")) == before  # acknowledged: the pages stop
    with unit_of_work() as session:
        pending = session.exec(select(SlaDeadline).where(SlaDeadline.status == "pending")).all()
    assert [d.kind for d in pending] == ["contact"]  # an acknowledged crisis: contact is due next


def test_two_timeouts_in_a_row_pause_the_coordinator_and_alert(db):
    pat, riley, sam, dana = _team()
    t0 = TUESDAY_10
    first = make_classified_lead(urgency="urgent")
    route(first, now=t0)
    sweep(t0 + timedelta(hours=1))
    with unit_of_work() as session:
        assert session.get(Coordinator, dana.id).consecutive_timeouts == 1
        assert not session.get(Coordinator, dana.id).paused
    second = make_classified_lead(urgency="urgent")
    route(second, now=t0 + timedelta(hours=1, minutes=1))
    assert lead_row(second).coordinator_id == dana.id
    sweep(t0 + timedelta(hours=2, minutes=1))
    with unit_of_work() as session:
        assert session.get(Coordinator, dana.id).paused
    alerts = [a for a in events("alert.raised") if a["kind"] == "coordinator_paused"]
    assert len(alerts) == 1 and alerts[0]["coordinator_id"] == str(dana.id)
    # Paused from routine leads only: a routine depression lead now goes elsewhere (fallback).
    routine = make_classified_lead(urgency="routine")
    route(routine, now=t0 + timedelta(hours=3))
    assert lead_row(routine).coordinator_id != dana.id


def test_notification_failure_moves_the_ladder_on_at_once(db):
    from shared.events import NotificationFailedV1

    from services.routing.tasks.notices import handle_failure_once

    pat, riley, sam, dana = _team()
    payload = make_classified_lead(urgency="urgent")
    route(payload, now=TUESDAY_10)
    failed = NotificationFailedV1(
        notification_id=payload["lead_id"],
        lead_id=payload["lead_id"],
        step=0,
        recipient_coordinator_id=dana.id,
        reason="bounced",
        urgency="urgent",
    )
    assert (
        handle_failure_once(failed.model_dump(mode="json"), now=TUESDAY_10 + timedelta(minutes=1))
        == "escalated"
    )
    assert handle_failure_once(failed.model_dump(mode="json")) == "duplicate"
    escalated = events("lead.escalated")
    assert [(e["role"], e["recipient_coordinator_id"]) for e in escalated] == [("backup", str(sam.id))]
    with unit_of_work() as session:
        assert session.get(Coordinator, dana.id).consecutive_timeouts == 0  # a bounce is not her timeout


def test_handle_notification_failure_is_registered_under_its_name():
    from shared.celery import celery_app
    from shared.tasks import HANDLE_NOTIFICATION_FAILURE

    celery_app.loader.import_default_modules()
    assert HANDLE_NOTIFICATION_FAILURE in celery_app.tasks


COVERAGE_DIRECTORY = """
coordinators:
  - {name: Dana, email: dana@clinic.example}
  - name: Riley
    email: riley@clinic.example
    out_of_office: [{start: "2026-12-09T09:00:00-08:00", end: "2026-12-10T09:00:00-08:00"}]
on_call:
  layers:
    - {name: weekly, start: "2026-11-30T09:00:00-08:00", shift_hours: 168,
       members: [dana@clinic.example, riley@clinic.example]}
"""


def test_coverage_gap_in_the_next_14_days_raises_one_critical_alert(db):
    from services.routing.adapters.directory_store import import_directory
    from services.routing.domain.documents import parse_directory
    from services.routing.tasks.deadlines import check_coverage_once

    with unit_of_work() as session:
        import_directory(session, parse_directory(COVERAGE_DIRECTORY))
    now = datetime(2026, 12, 1, 10, 0, tzinfo=LA)
    assert check_coverage_once(now) == 1
    assert check_coverage_once(now + timedelta(minutes=5)) == 1  # the same gap: no second alert
    alerts = [a for a in events("alert.raised") if a["kind"] == "coverage_gap"]
    assert len(alerts) == 1 and alerts[0]["severity"] == "critical"
    with unit_of_work() as session:
        row = session.exec(select(RoutingAlert)).one()
    assert row.detail == {"start": "2026-12-09T17:00:00+00:00", "end": "2026-12-10T17:00:00+00:00"}
    # Outside the 14-day window there is nothing to report.
    assert check_coverage_once(datetime(2026, 12, 11, 0, 0, tzinfo=LA)) == 0
    with unit_of_work() as session:
        assert session.exec(select(RoutingAlert)).one().resolved_at is not None


def test_crisis_lead_with_nobody_on_call_still_reaches_a_person_and_alerts(db):
    lee = make_coordinator(name="Lee", email="lee@clinic.example", working_hours=WEEKDAYS)
    payload = make_classified_lead(urgency="crisis")
    route(payload, now=datetime(2026, 12, 5, 3, 0, tzinfo=LA))
    assert lead_row(payload).coordinator_id == lee.id
    assert any(a["kind"] == "coverage_gap" and a["severity"] == "critical" for a in events("alert.raised"))


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded", "weighted"])
def test_each_strategy_spreads_leads_through_the_task(db, strategy):
    from services.routing.adapters.directory_store import store_ruleset
    from services.routing.domain.documents import parse_ruleset

    a = make_coordinator(name="A", email="a@clinic.example", weight=1.0)
    b = make_coordinator(name="B", email="b@clinic.example", weight=1.0 if strategy != "weighted" else 0.5)
    rules = f"pools: {{all: {{}}}}\nrules:\n  - {{name: all, route: {{pool: all, strategy: {strategy}}}}}\n"
    with unit_of_work() as session:
        store_ruleset(session, parse_ruleset(rules))
    for i in range(6):
        route(make_classified_lead(), now=TUESDAY_10 + timedelta(minutes=i))
    with unit_of_work() as session:
        counts = {c: 0 for c in (a.id, b.id)}
        for assignment in session.exec(select(Assignment)).all():
            counts[assignment.coordinator_id] += 1
        rule_names = {x.rule_name for x in session.exec(select(Assignment)).all()}
    assert rule_names == {"all"}
    if strategy == "weighted":
        assert (counts[a.id], counts[b.id]) == (4, 2)
    else:
        assert (counts[a.id], counts[b.id]) == (3, 3)
