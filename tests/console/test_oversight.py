"""What supervisors oversee: the dashboard's figures (and the statistics under them), escalations
in flight, the spam-review list with release and discard, the audit viewer's filters, and the
directory with on-call coverage gaps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from shared.clock import utcnow
from shared.db import unit_of_work
from shared.schema import AuditEvent, CallAttempt, LeadState, SlaDeadline
from tests.console.desk_world import browser, post_form
from tests.console.world import build_world
from tests.factories import lead_record

from services.console.domain import stats


def test_percentiles_interpolate_between_ranks():
    assert stats.percentile([], 50) is None
    assert stats.percentile([5], 90) == 5
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile(list(range(1, 11)), 90) == 9.1


def _fact(minutes_to_ack=None, minutes_to_contact=None, urgency="urgent", due_minutes=60, **kw):
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return SimpleNamespace(
        created_at=kw.pop("created_at", start),
        urgency=urgency,
        acknowledged_at=start + timedelta(minutes=minutes_to_ack) if minutes_to_ack is not None else None,
        first_contact_at=start + timedelta(minutes=minutes_to_contact)
        if minutes_to_contact is not None
        else None,
        acknowledge_due=start + timedelta(minutes=due_minutes) if due_minutes is not None else None,
        **kw,
    )


def test_timings_and_sla_by_urgency():
    facts = [
        _fact(10, 30),
        _fact(20, 90),
        _fact(90, None),
        _fact(None, None, due_minutes=10**6),
        _fact(3, 4, "crisis", 5),
    ]
    urgent = next(t for t in stats.timings(facts, "first_contact_at") if t.urgency == "urgent")
    assert (urgent.leads, urgent.measured, urgent.median_minutes, urgent.p90_minutes) == (4, 2, 60, 84)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    by = {s.urgency: s for s in stats.sla(facts, now)}
    assert (by["urgent"].met, by["urgent"].missed, by["urgent"].pending) == (2, 1, 1)
    assert round(by["urgent"].percent) == 67 and by["crisis"].percent == 100 and by["routine"].percent is None
    assert (by["all"].met, by["all"].missed) == (3, 1)


def test_counts_per_day_keep_the_biggest_categories_and_sum_the_rest():
    day1, day2 = datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 2, 9, tzinfo=UTC)
    facts = [SimpleNamespace(created_at=day1, channel="web")] * 3 + [
        SimpleNamespace(created_at=day2, channel=c) for c in ("phone", "referral", None)
    ]
    series = stats.per_day(facts, "Channel", "channel", date(2026, 12, 1), date(2026, 12, 2), top=2)
    assert series.categories[0] == "web" and series.counts["web"] == [3, 0]
    assert "other" in series.categories and sum(series.totals.values()) == 6
    chart = stats.stacked_bars(series)
    assert len(chart.bars) == sum(1 for c in series.categories for n in series.counts[c] if n)
    tallest = min(b.y for b in chart.bars)
    assert tallest >= 0 and all(b.height > 0 for b in chart.bars)


def test_the_dashboard_shows_the_days_figures(client, db):
    world = build_world()
    now = utcnow()
    fast = world.lead(
        world.dana, status="acknowledged", urgency="urgent", created_at=now - timedelta(minutes=30)
    )
    slow = world.lead(
        world.dana,
        status="notified",
        urgency="crisis",
        channel="phone",
        created_at=now - timedelta(minutes=20),
    )
    world.lead(world.sam, urgency="routine", channel="referral", organization="Harbor Psychiatry")
    world.lead(world.sam, created_at=now - timedelta(days=3))  # not today
    with unit_of_work() as s:
        s.add(SlaDeadline(lead_id=fast.id, kind="acknowledge", due_at=now + timedelta(minutes=30)))
        s.add(SlaDeadline(lead_id=slow.id, kind="acknowledge", due_at=now - timedelta(minutes=15)))
        state = s.get(LeadState, fast.id)
        state.acknowledged_at = now - timedelta(minutes=25)
        s.add(state)
        s.add(
            CallAttempt(
                lead_id=fast.id,
                actor="user:x",
                author="Dana",
                outcome="reached",
                created_at=now - timedelta(minutes=18),
            )
        )
        s.add(
            AuditEvent(
                actor="user:x", action="lead.contacted", lead_id=fast.id, at=now - timedelta(minutes=10)
            )
        )
    browser(client, "supervisor", world.pat)
    page = client.get("/console/dashboard", params={"days": 1})
    assert page.status_code == 200
    figures = page.text.split('id="today-figures"', 1)[1].split("</section>", 1)[0]
    cells = dict(
        (label.strip(), value)
        for value, label in re.findall(r"<strong>([^<]*)</strong>([^<]*)</div>", figures)
    )
    assert cells["leads received"] == "3" and cells["crisis"] == "1" and cells["acknowledged"] == "1"
    assert cells["reached by a person"] == "1" and cells["acknowledged within SLA"] == "50%"
    assert cells["median time to first human contact"] == "12 min"  # the call at 12 min, before the status
    assert page.text.count('<svg class="chart"') == 3 and "Harbor Psychiatry" in page.text
    assert "Casey" not in page.text  # no PHI on the dashboard
    assert client.get("/console/dashboard", params={"days": 30}).status_code == 200


def test_the_dashboard_and_other_oversight_pages_are_for_supervisors(client, db):
    world = build_world()
    browser(client, "coordinator", world.dana)
    for path in (
        "/console/dashboard",
        "/console/escalations",
        "/console/spam",
        "/console/audit",
        "/console/directory",
    ):
        assert client.get(path).status_code == 403, path


def test_escalations_in_flight_list_only_unacknowledged_escalated_leads(client, db):
    world = build_world()
    climbing = world.lead(world.dana, status="notified", urgency="crisis")
    settled = world.lead(world.dana, status="acknowledged")
    quiet = world.lead(world.dana)
    with unit_of_work() as s:
        for lead in (climbing, settled):
            state = s.get(LeadState, lead.id)
            state.escalation_step = 1
            s.add(state)
    browser(client, "supervisor", world.pat)
    page = client.get("/console/escalations").text
    assert climbing.reference in page and settled.reference not in page and quiet.reference not in page


def test_spam_review_releases_a_held_lead_to_routing_or_discards_it(client, db):
    world = build_world()
    released, discarded = world.lead(None, status="spam_review"), world.lead(None, status="spam_review")
    browser(client, "supervisor", world.pat)
    page = client.get("/console/spam").text
    assert released.reference in page and discarded.reference in page
    done = post_form(client, f"/console/spam/{released.reference}/release", page)
    assert done.headers["location"] == "/console/spam?done=release"
    assert (
        lead_record(released.id).status in ("routed", "waiting") and lead_record(released.id).coordinator_id
    )
    post_form(client, f"/console/spam/{discarded.reference}/discard", page)
    row = lead_record(discarded.id)
    assert row.status == "closed" and row.outcome_reason == "spam"
    again = post_form(client, f"/console/spam/{discarded.reference}/release", page)
    assert again.headers["location"] == "/console/spam?problem=not_held"
    listed = client.get("/console/spam").text
    assert released.reference not in listed and "Nothing held" in listed


def test_the_audit_viewer_filters_by_lead_person_and_date_and_names_the_people(client, db):
    world = build_world()
    lead, other = world.lead(world.dana), world.lead(world.sam)
    reader = browser(client, "coordinator", world.dana)
    client.get(f"/console/lead/{lead.reference}")
    client.cookies.clear()
    browser(client, "supervisor", world.pat)
    client.get(f"/console/lead/{other.reference}")
    by_lead = client.get("/console/audit", params={"lead": lead.reference}).text
    rows = by_lead.split('id="audit-table"', 1)[1]
    assert "lead.read" in rows and "Test coordinator" in rows and other.reference not in rows
    by_person = client.get("/console/audit", params={"actor": reader.email}).text.split(
        'id="audit-table"', 1
    )[1]
    assert lead.reference in by_person and other.reference not in by_person
    today = utcnow().date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert "Nothing matches" in client.get("/console/audit", params={"since": tomorrow}).text
    assert (
        lead.reference
        in client.get("/console/audit", params={"since": today.isoformat(), "until": today.isoformat()}).text
    )
    assert "No lead has that reference" in client.get("/console/audit", params={"lead": "R-NOSUCH"}).text
    assert "No staff account" in client.get("/console/audit", params={"actor": "nobody@clinic.example"}).text


def test_the_directory_page_shows_loads_and_the_on_call_coverage_gaps(client, db):
    world = build_world()
    world.lead(world.dana, status="acknowledged")
    browser(client, "supervisor", world.pat)
    page = client.get("/console/directory").text
    assert "Dana Reyes" in page and "Sam Ortiz" in page
    assert "coverage gap" in page and "nobody (gap)" in page  # nobody is on call in this world
