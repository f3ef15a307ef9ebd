"""Demo data for `careroute seed-demo`: a small clinic's coordinators and one key per role."""

from __future__ import annotations

from sqlmodel import select

from shared.apikeys import create_api_key
from shared.db import unit_of_work
from shared.models import ApiKey, Coordinator, Role

DEMO_COORDINATORS = [
    dict(name="Dana Reyes", email="dana@clinic.example", specialties=["ptsd", "depression"],
         programs=["veterans"], languages=["en", "es"], on_call=True),
    dict(name="Lee Park", email="lee@clinic.example", specialties=["ocd", "anxiety"],
         languages=["en"]),
    dict(name="Sam Ortiz", email="sam@clinic.example", specialties=["depression", "bipolar_depression",
         "chronic_pain"], languages=["en", "es"]),
    dict(name="Riley Chen", email="riley@clinic.example", specialties=["depression", "anxiety"],
         languages=["en"], on_call=True),
]
DEMO_KEY_ROLES = [
    (Role.admin, "demo admin", None),
    (Role.call_center, "demo call center", None),
    (Role.coordinator, "demo coordinator", None),
    (Role.provider, "demo referring practice", "Harbor Psychiatry"),
]


def seed_demo() -> list[tuple[str, str]]:
    """Adds the demo coordinators if missing; returns (role, key) for keys created now."""
    created: list[tuple[str, str]] = []
    with unit_of_work() as session:
        existing = {c.email for c in session.exec(select(Coordinator)).all()}
        for spec in DEMO_COORDINATORS:
            if spec["email"] not in existing:
                session.add(Coordinator(**spec))
        have_keys = {k.name for k in session.exec(select(ApiKey)).all()}
        for role, name, organization in DEMO_KEY_ROLES:
            if name not in have_keys:
                _row, plaintext = create_api_key(session, role, name=name, organization=organization)
                created.append((role.value, plaintext))
    return created
