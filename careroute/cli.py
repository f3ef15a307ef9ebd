"""`careroute`: one command for every process and chore.

Each subcommand reads settings from CAREROUTE_* variables (see the README's table); `dev` fills in
the embedded defaults and runs everything at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from shared.tasks import ALL_QUEUES

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="CareRoute: intake, triage, routing, notify."
)
apikey_app = typer.Typer(no_args_is_help=True, help="Create and revoke API keys.")
outbox_app = typer.Typer(no_args_is_help=True, help="Read the development email outbox (var/outbox).")
keys_app = typer.Typer(no_args_is_help=True, help="PHI encryption keys: status, rotate, generate.")
app.add_typer(apikey_app, name="apikey")
app.add_typer(outbox_app, name="outbox")
app.add_typer(keys_app, name="keys")


def _settings():
    from shared.logging import configure_logging
    from shared.settings import get_settings

    configure_logging("cli")
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return settings


@app.command()
def dev(port: Optional[int] = typer.Option(None, help="Overrides CAREROUTE_PORT.")) -> None:
    """Run everything on the embedded default: migrate, seed, API + relay + worker + beat."""
    from careroute.devserver import run_dev

    raise typer.Exit(run_dev(port))


@app.command()
def api(
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes (about one per core)."),
) -> None:
    """Serve the HTTP API (intake, lead status, triage preview, webhooks)."""
    import uvicorn

    from shared.http.server import uvicorn_options

    settings = _settings()
    # h11 with a deadline on request heads, 431 for oversized ones, no proxy-header trust (the
    # client address is resolved against CAREROUTE_TRUSTED_PROXIES): shared/http/server.py.
    uvicorn.run(
        "careroute.asgi:app", reload=reload, workers=None if reload else workers, **uvicorn_options(settings)
    )


@app.command()
def worker(
    lane: Optional[str] = typer.Option(
        None,
        help="The lane(s) to serve: crisis, classify, route, notify, maintenance (comma-separated), or all.",
    ),
    queues: str = typer.Option(
        ",".join(ALL_QUEUES), help="Comma-separated queues (the long form of --lane); polled crisis first."
    ),
    concurrency: int = typer.Option(2, min=1),
    pool: str = typer.Option("prefork", help="prefork, threads or solo."),
    ready_file: Optional[Path] = typer.Option(
        None, help="Written once warm and consuming (default: var/run/worker-<lane>.ready)."
    ),
    nice: int = typer.Option(0, min=0, max=19, help="Lower this worker's CPU priority (bulk lanes)."),
) -> None:
    """Run a Celery worker for one lane (or several); it warms up before it reports ready."""
    from careroute.workers import default_ready_file, run_worker

    _settings()
    chosen = _lane_queues(lane or queues)
    run_worker(chosen, concurrency, pool, ready_file or default_ready_file(chosen), nice)


@app.command("worker-ready")
def worker_ready(
    lane: str = typer.Option("all", help="The worker's --lane (or --queues) value."),
    ready_file: Optional[Path] = typer.Option(None, help="The worker's --ready-file, if it set one."),
) -> None:
    """Exit 0 if that worker is warm and consuming (a readiness probe), else 1."""
    from careroute.workers import default_ready_file, is_ready

    _settings()
    ok = is_ready(ready_file or default_ready_file(_lane_queues(lane)))
    typer.echo("ready" if ok else "not ready")
    raise typer.Exit(0 if ok else 1)


def _lane_queues(value: str) -> list[str]:
    from shared.tasks import lane_queues

    try:
        return lane_queues(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def beat() -> None:
    """Run the scheduler (the stuck-lead sweeper)."""
    _settings()
    from shared.celery import celery_app

    celery_app.start(["beat", "--loglevel", "INFO"])


@app.command()
def relay(
    lane: str = typer.Option(
        "all", help="all (crisis events first), or crisis: the crisis lane's own relay."
    ),
) -> None:
    """Publish outbox events to the broker (several may run)."""
    import signal
    import threading

    if lane not in ("all", "crisis"):
        raise typer.BadParameter("--lane is all or crisis")
    _settings()
    from shared.outbox import run_relay

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_relay(stop, crisis_only=lane == "crisis")


@app.command()
def migrate(revision: str = typer.Argument("head")) -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    _settings()
    from shared.migrate import upgrade

    upgrade(revision)
    typer.echo(f"database migrated to {revision}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Add demo coordinators, one API key per role (printed once) and one staff account per role."""
    _settings()
    from careroute.seed import seed_demo as seed

    for role, key in seed():
        typer.echo(f"{role:12} {key}")
    from careroute.seed import seed_demo_accounts

    settings = _settings()
    accounts_file = settings.var_dir / "demo-accounts.txt"
    for role, email, password, totp_secret in seed_demo_accounts(accounts_file):
        extra = f"  TOTP secret (development only): {totp_secret}" if totp_secret else ""
        typer.echo(f"{role:12} {email:28} {password}{extra}")
    typer.echo(f"(accounts also in {accounts_file})")


@apikey_app.command("create")
def apikey_create(
    role: str = typer.Option(..., help="provider, call_center, coordinator, supervisor or admin"),
    name: str = typer.Option("", help="Who holds it, for the audit trail."),
    organization: Optional[str] = typer.Option(None, help="A provider's practice: scopes its reads."),
) -> None:
    """Create an API key and print it (it is stored hashed and cannot be shown again)."""
    from shared.apikeys import create_api_key
    from shared.db import unit_of_work
    from shared.schema import Role

    _settings()
    try:
        role_value = Role(role.replace("-", "_"))
    except ValueError:
        typer.echo(f"unknown role; choose one of: {', '.join(r.value for r in Role)}", err=True)
        raise typer.Exit(2) from None
    with unit_of_work() as session:
        _row, plaintext = create_api_key(session, role_value, name=name, organization=organization)
    typer.echo(plaintext)


@apikey_app.command("revoke")
def apikey_revoke(prefix: str = typer.Argument(..., help="The 8 characters after `cr_`.")) -> None:
    """Revoke a key by its prefix."""
    from shared.apikeys import revoke_api_key
    from shared.db import unit_of_work

    _settings()
    with unit_of_work() as session:
        found = revoke_api_key(session, prefix)
    typer.echo("revoked" if found else "no such key")
    raise typer.Exit(0 if found else 1)


@outbox_app.command("list")
def outbox_list() -> None:
    """List emails written to the development outbox, newest last."""
    from services.notify.adapters.email.file_outbox import list_outbox

    settings = _settings()
    entries = list_outbox(settings.outbox_dir)
    if not entries:
        typer.echo(f"(no emails in {settings.outbox_dir})")
    for entry in entries:
        typer.echo(f"{entry.id}  {entry.date}  {entry.to}  {entry.subject}")


@outbox_app.command("show")
def outbox_show(
    email_id: str = typer.Argument(..., help="An id (or unique prefix) from `outbox list`."),
) -> None:
    """Print one email from the development outbox."""
    from services.notify.adapters.email.file_outbox import OutboxLookupError, read_outbox

    settings = _settings()
    try:
        typer.echo(read_outbox(settings.outbox_dir, email_id))
    except OutboxLookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@keys_app.command("status")
def keys_status() -> None:
    """How many encrypted values each key id holds, per column; the active key is marked."""
    from shared.crypto import keyring
    from shared.keyrotation import key_status

    _settings()
    active = keyring().active_id
    for report in key_status():
        counts = ", ".join(f"{k}{'*' if k == active else ''}={n}" for k, n in sorted(report.by_key.items()))
        typer.echo(f"{report.name:40} {counts or '(empty)'}")
    typer.echo(f"active key: {active} (*)")


@keys_app.command("rotate")
def keys_rotate(
    batch_size: int = typer.Option(500, min=1, help="Rows per transaction."),
    max_batches: Optional[int] = typer.Option(None, min=1, help="Stop after this many (resume later)."),
) -> None:
    """Re-encrypt every value under the active key (idempotent; safe to stop and run again)."""
    from shared.crypto import keyring
    from shared.keyrotation import rotate

    _settings()
    reports = rotate(batch_size=batch_size, max_batches=max_batches)
    total = 0
    for report in reports:
        total += report.rotated
        typer.echo(
            f"{report.name:40} rotated={report.rotated} seen={sum(report.by_key.values())}"
            f" changed_meanwhile={report.changed_meanwhile}"
        )
    typer.echo(f"{total} value(s) now under key {keyring().active_id}")


@keys_app.command("generate")
def keys_generate(key_id: str = typer.Option(..., "--id", help="A short id: A-Z a-z 0-9 _ -")) -> None:
    """Print a new random AES-256 key as an `id:base64` entry for CAREROUTE_PHI_KEYS."""
    from shared.crypto import KEY_ID, new_key

    if not KEY_ID.match(key_id):
        typer.echo("the id must be 1-16 of A-Z a-z 0-9 _ -", err=True)
        raise typer.Exit(2)
    typer.echo(f"{key_id}:{new_key()}")


@app.command()
def classify(
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="JSON Lines file; stdin when omitted."),
) -> None:
    """Triage JSON Lines ({id, text, channel?, structured fields?}) to JSON Lines on stdout."""
    from services.triage import classify_jsonl

    _settings()
    if input is None:
        classify_jsonl(sys.stdin, sys.stdout)
    else:
        with input.open(encoding="utf-8") as lines:
            classify_jsonl(lines, sys.stdout)


# Routing's commands: directory / rules / oncall import-export and checks, and the simulator.
# The console's commands: staff accounts and the audit trail.
from services.console.cli import audit_app, user_app  # noqa: E402
from services.routing.cli import directory_app, leads_app, oncall_app, rules_app, simulate  # noqa: E402

app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(directory_app, name="directory")
app.add_typer(leads_app, name="leads")
app.add_typer(rules_app, name="rules")
app.add_typer(oncall_app, name="oncall")
app.command("simulate")(simulate)

from careroute.fhir_cli import fhir_app  # noqa: E402

app.add_typer(fhir_app, name="fhir")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
