"""Directory people for access tests (coordinators and supervisors are directory entries)."""

from __future__ import annotations

from tests.factories import make_coordinator


def coordinator_person(name: str, email: str, role: str = "coordinator", **fields):
    return make_coordinator(name=name, email=email, role=role, **fields)
