"""Fairness under concurrency: 8 routing tasks at once in 8 separate processes, on PostgreSQL.

The processes start together at a barrier and each runs the real task body. The routing decision
locks the coordinator rows, so each decision sees the one before it: round robin stays exactly even
and nobody goes over capacity.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter

from sqlmodel import select

from shared.db import unit_of_work
from shared.models import Assignment, Lead
from tests.factories import make_classified_lead, make_coordinator


def _route_in_a_new_process(payload: dict, barrier) -> str:
    from shared.db import dispose_engines

    dispose_engines()  # never share the parent's connections
    from services.routing.tasks.route import route_once

    barrier.wait(timeout=30)
    return route_once(payload)


def _run_at_once(payloads: list[dict]) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Manager().Barrier(len(payloads))
    with ctx.Pool(len(payloads)) as pool:
        results = [pool.apply_async(_route_in_a_new_process, (p, barrier)) for p in payloads]
        return [r.get(timeout=60) for r in results]


def test_eight_concurrent_routings_keep_round_robin_even(db):
    from shared.db import dispose_engines

    people = [make_coordinator(name=f"C{i}", email=f"c{i}@clinic.example", max_open_leads=5) for i in range(4)]
    payloads = [make_classified_lead() for _ in range(8)]
    dispose_engines()
    assert _run_at_once(payloads) == ["routed"] * 8
    with unit_of_work() as session:
        counts = Counter(a.coordinator_id for a in session.exec(select(Assignment)).all())
        reasons = [a.reason for a in session.exec(select(Assignment)).all()]
    assert sorted(counts.values()) == [2, 2, 2, 2]
    assert set(counts) == {p.id for p in people}
    assert all("round robin" in r or "least loaded" in r for r in reasons)


def test_eight_concurrent_routings_never_exceed_capacity(db):
    from shared.db import dispose_engines

    people = [make_coordinator(name=f"C{i}", email=f"c{i}@clinic.example", max_open_leads=2) for i in range(3)]
    payloads = [make_classified_lead() for _ in range(8)]
    dispose_engines()
    outcomes = Counter(_run_at_once(payloads))
    assert outcomes == {"routed": 6, "waiting": 2}
    with unit_of_work() as session:
        open_by_person = Counter(l.coordinator_id for l in session.exec(select(Lead)).all() if l.status == "routed")
        waiting = [l for l in session.exec(select(Lead)).all() if l.status == "waiting"]
    assert all(open_by_person[p.id] == 2 for p in people)
    assert all("capacity" in l.waiting_reason for l in waiting) and all(l.route_after for l in waiting)
