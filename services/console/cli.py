"""The console's command-line edge, mounted by `careroute` (careroute/cli.py):

    careroute user create --email E --role R [--coordinator EMAIL] [--organization ORG] [--password-stdin]
    careroute user reset EMAIL [--reset-mfa] [--password-stdin]
    careroute user disable EMAIL
    careroute user list
    careroute audit export [--format jsonl|csv] [--lead ID] [--actor A] [--since T] [--until T] [--output F]

A generated password is printed once (it is stored only as an Argon2id hash). Problems are printed
as `field: message` and exit with status 2.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Optional
from uuid import UUID

import typer

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts for the console.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail of PHI reads and lead changes.")


def _setup() -> None:
    from shared.logging import configure_logging

    configure_logging("cli")


def _stdin_password(enabled: bool) -> str | None:
    if not enabled:
        return None
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        typer.echo("password: nothing on stdin", err=True)
        raise typer.Exit(2)
    return value


def _run(action):
    from shared.auth.accounts import AccountProblem
    from shared.db import unit_of_work

    _setup()
    try:
        with unit_of_work() as db:
            return action(db)
    except AccountProblem as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@user_app.command("create")
def user_create(
    email: str = typer.Option(..., help="Their sign-in email (stored lower case)."),
    role: str = typer.Option(..., help="provider, call_center, coordinator, supervisor or admin"),
    coordinator: Optional[str] = typer.Option(
        None, help="Coordinators and supervisors: their directory email."
    ),
    organization: Optional[str] = typer.Option(None, help="Providers: their practice (scopes their reads)."),
    name: Optional[str] = typer.Option(None, help="Display name (default: the directory name or the email)."),
    password_stdin: bool = typer.Option(
        False, help="Read the password from stdin instead of generating one."
    ),
) -> None:
    """Create an account and print its password once."""
    from shared.clock import utcnow
    from shared.schema import Role

    from services.console.app import accounts

    try:
        role_value = Role(role.replace("-", "_"))
    except ValueError:
        typer.echo(f"role: choose one of {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    given = _stdin_password(password_stdin)

    def act(db):
        return accounts.create(
            db,
            email=email,
            role=role_value,
            now=utcnow(),
            coordinator_email=coordinator,
            organization=organization,
            display_name=name,
            password=given,
        )

    user, password = _run(act)
    typer.echo(f"created {user.email} ({user.role})")
    if given is None:
        typer.echo(f"password (shown once): {password}")
    if role_value in (Role.supervisor, Role.admin):
        typer.echo("two-step sign-in: they set it up at their first sign-in")


@user_app.command("reset")
def user_reset(
    email: str = typer.Argument(...),
    reset_mfa: bool = typer.Option(False, "--reset-mfa", help="Also clear their TOTP (they enrol again)."),
    password_stdin: bool = typer.Option(False, help="Read the new password from stdin."),
) -> None:
    """A new password; clears the lockout and ends their sessions."""
    from shared.clock import utcnow

    from services.console.app import accounts

    given = _stdin_password(password_stdin)
    password = _run(lambda db: accounts.reset(db, email, utcnow(), reset_mfa=reset_mfa, password=given))
    typer.echo(f"reset {email.strip().lower()}" + (" (two-step sign-in cleared)" if reset_mfa else ""))
    if given is None:
        typer.echo(f"password (shown once): {password}")


@user_app.command("disable")
def user_disable(email: str = typer.Argument(...)) -> None:
    """Disable an account and end its sessions."""
    from shared.clock import utcnow

    from services.console.app import accounts

    _run(lambda db: accounts.disable(db, email, utcnow()))
    typer.echo(f"disabled {email.strip().lower()}")


@user_app.command("list")
def user_list() -> None:
    """Every account: email, role, two-step status, disabled."""
    from services.console.app import accounts

    for row in _run(accounts.listing):
        flags = ("mfa" if row.mfa else "no-mfa") + (" disabled" if row.disabled else "")
        typer.echo(f"{row.email:40} {row.role:12} {flags:16} {row.display_name}")


@audit_app.command("export")
def audit_export(
    format: str = typer.Option("jsonl", help="jsonl or csv"),
    lead: Optional[str] = typer.Option(None, help="Only this lead id."),
    actor: Optional[str] = typer.Option(None, help="Only this actor, e.g. user:<id> or key:<id>."),
    since: Optional[datetime] = typer.Option(None, help="From this time (ISO 8601, UTC if no offset)."),
    until: Optional[datetime] = typer.Option(None, help="Before this time."),
    output: Optional[Path] = typer.Option(None, help="Write here instead of stdout."),
) -> None:
    """Every matching audit entry, oldest first."""
    from datetime import UTC

    from shared.db import unit_of_work
    from shared.schema import AuditEvent

    from services.console.adapters.audit_store import SqlAuditStore
    from services.console.app import audit
    from services.console.domain.review import AuditFilter

    if format not in ("jsonl", "csv"):
        typer.echo("format: jsonl or csv", err=True)
        raise typer.Exit(2)
    try:
        lead_id = UUID(lead) if lead else None
    except ValueError:
        typer.echo("lead: not a lead id", err=True)
        raise typer.Exit(2) from None
    since, until = [t.replace(tzinfo=UTC) if t and t.tzinfo is None else t for t in (since, until)]
    where = AuditFilter(lead_id=lead_id, actor=actor, since=since, until=until)
    _setup()
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with unit_of_work() as db:
            entries = audit.export(SqlAuditStore(db), where)
            for chunk in audit.as_csv(entries) if format == "csv" else audit.as_jsonl(entries):
                out.write(chunk)
            db.add(AuditEvent(actor="cli:audit", action="audit.export", detail={"format": format}))
    finally:
        if output:
            out.close()
