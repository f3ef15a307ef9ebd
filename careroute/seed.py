"""Demo data for `careroute seed-demo`: a small clinic's coordinators, one key and one staff account
per role."""

from __future__ import annotations

import os
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


# --- demo staff accounts (one per role) -----------------------------------------------------------

DEMO_ACCOUNTS = [
    # role, sign-in email, directory person (coordinators and supervisors), practice (providers)
    (Role.admin, "admin@clinic.example", None, None),
    (Role.call_center, "callcenter@clinic.example", None, None),
    (Role.coordinator, "dana@clinic.example", "dana@clinic.example", None),  # Dana Reyes
    (Role.supervisor, "pat@clinic.example", "pat@clinic.example", None),  # Pat Kim
    (Role.provider, "referrals@harbor.example", None, "Harbor Psychiatry"),
]
# DEVELOPMENT ONLY, and published on purpose (README): the demo supervisor and admin must use a
# second factor, and a fixed secret lets a newcomer add it to any authenticator app (or compute a
# code with pyotp) without a phone. Never used outside CAREROUTE_ENV=development.
DEMO_TOTP_SECRETS = {
    Role.supervisor: "MNQXEZLSN52XIZJNMRSW23ZNON2XAZLS",
    Role.admin: "MNQXEZLSN52XIZJNMRSW23ZNMFSG22LO",
}


def _known_passwords(accounts_file: Path) -> dict[str, str]:
    known = {}
    if accounts_file.exists():
        for line in accounts_file.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3:
                known[parts[1]] = parts[2]
    return known


def seed_demo_accounts(accounts_file: Path) -> list[tuple[str, str, str, str | None]]:
    """One account per role; returns (role, email, password, TOTP secret or None) and writes
    `accounts_file` as `role email password` lines, readable by the owner only. A demo account whose
    password is not in the file (a new one, or the file was deleted) gets a new password."""
    from shared.auth import accounts as staff
    from shared.clock import utcnow
    from shared.settings import get_settings

    from services.console.app import accounts as admin

    development = get_settings().env == "development"
    known = _known_passwords(accounts_file)
    seeded = []
    with unit_of_work() as session:
        for role, email, person, organization in DEMO_ACCOUNTS:
            user = staff.by_email(session, email)
            password = known.get(email)
            if user is None:
                user, password = admin.create(
                    session,
                    email=email,
                    role=role,
                    now=utcnow(),
                    coordinator_email=person,
                    organization=organization,
                )
            elif password is None:
                password = admin.reset(session, email, utcnow())
            secret = DEMO_TOTP_SECRETS.get(role) if development else None
            if secret and user.totp_secret is None:
                staff.set_totp_secret(user, secret)
                session.add(user)
            seeded.append((role.value, email, password, secret))
    accounts_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(accounts_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(f"{role} {email} {password}\n" for role, email, password, _ in seeded)
    accounts_file.chmod(0o600)
    return seeded
