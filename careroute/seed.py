"""Demo data for `careroute seed-demo`: a small clinic's coordinators and one key per role."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from shared.apikeys import create_api_key
from shared.db import unit_of_work
from shared.schema import ApiKey, Coordinator, Role, RoutingRuleset

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_DIRECTORY = DEMO_DIR / "clinic.yaml"  # coordinators, hours, on-call rotation
DEMO_RULES = DEMO_DIR / "rules.yaml"
DEMO_KEY_ROLES = [
    (Role.admin, "demo admin", None),
    (Role.call_center, "demo call center", None),
    (Role.coordinator, "demo coordinator", None),  # acts as Dana Reyes (bound below)
    (Role.supervisor, "demo supervisor", None),  # acts as Pat Kim
    (Role.provider, "demo referring practice", "Harbor Psychiatry"),
]


def seed_demo() -> list[tuple[str, str]]:
    """Loads the demo directory (upsert by email) and, if none is stored yet, the demo rules;
    returns (role, key) for keys created now."""
    from services.routing.adapters.directory_store import import_directory, store_ruleset
    from services.routing.domain.documents import parse_directory, parse_ruleset

    created: list[tuple[str, str]] = []
    directory = parse_directory(DEMO_DIRECTORY.read_text(encoding="utf-8"), str(DEMO_DIRECTORY))
    with unit_of_work() as session:
        import_directory(session, directory, actor="seed-demo")
        if session.exec(select(RoutingRuleset)).first() is None:
            store_ruleset(
                session,
                parse_ruleset(DEMO_RULES.read_text(encoding="utf-8"), str(DEMO_RULES)),
                actor="seed-demo",
            )
        session.flush()
        acting_as = {c.email: c.id for c in session.exec(select(Coordinator)).all()}
        have_keys = {k.name for k in session.exec(select(ApiKey)).all()}
        for role, name, organization in DEMO_KEY_ROLES:
            if name not in have_keys:
                person = {"coordinator": "dana@clinic.example", "supervisor": "pat@clinic.example"}.get(
                    role.value
                )
                _row, plaintext = create_api_key(
                    session, role, name=name, organization=organization, coordinator_id=acting_as.get(person)
                )
                created.append((role.value, plaintext))
    return created
