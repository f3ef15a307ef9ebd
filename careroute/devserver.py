"""`careroute dev`: the whole system in one terminal, on the embedded default.

SQLite in var/, kombu's filesystem broker in var/broker (a real broker transport that needs no
server), and email written to var/outbox. Children: API, relay, beat and a worker per lane group:
crisis and classify (the two that load the classifier), route + notify, and maintenance (the
sweepers never wait behind leads). A child that dies is restarted; Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import typer

CHILDREN = {
    "api": ["api"],
    "relay": ["relay"],
    # solo pools: one process each, enough for one person trying the system (production: prefork).
    "worker-crisis": ["worker", "--lane", "crisis", "--pool", "solo"],
    "worker-classify": ["worker", "--lane", "classify", "--pool", "solo"],
    "worker-route-notify": ["worker", "--lane", "route,notify", "--concurrency", "2"],
    "worker-maintenance": ["worker", "--lane", "maintenance", "--pool", "solo"],
    "beat": ["beat"],
}


def _spawn(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "careroute.cli", *args], env=os.environ.copy())


def _accounts_banner(accounts) -> str:
    lines = []
    for role, email, password, totp_secret in accounts:
        extra = f"   TOTP secret (development only): {totp_secret}" if totp_secret else ""
        lines.append(f"  {role:12} {email:28} {password}{extra}\n")
    if any(secret for *_, secret in accounts):
        lines.append("  (a code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\")\n")
    return "".join(lines)


def run_dev(port: int | None) -> int:
    if port is not None:
        os.environ["CAREROUTE_PORT"] = str(port)
    from shared.settings import get_settings, reset_settings_cache

    reset_settings_cache()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)

    from careroute.seed import seed_demo
    from shared.logging import configure_logging
    from shared.migrate import upgrade

    configure_logging("dev")
    upgrade()
    keys_file = settings.var_dir / "demo-keys.txt"
    created = seed_demo()
    if created:
        # Development only: the demo keys are kept so every `make run` can show them again.
        keys_file.write_text("".join(f"{role:12} {key}\n" for role, key in created))
        keys_file.chmod(0o600)

    from careroute.seed import seed_demo_accounts

    accounts_file = settings.var_dir / "demo-accounts.txt"
    accounts = seed_demo_accounts(accounts_file)

    children = {name: _spawn(args) for name, args in CHILDREN.items()}
    base = settings.public_base_url
    typer.echo(
        "\nCareRoute is running on the embedded default\n"
        f"  API            {base}   (docs: {base}/docs, health: {base}/readyz)\n"
        f"  database       {settings.database_url}\n"
        f"  broker         {settings.broker_url} ({settings.broker_dir})\n"
        f"  email outbox   {settings.outbox_dir}   (read with: .venv/bin/careroute outbox list)\n"
        f"  demo API keys  ({keys_file})\n"
        + (keys_file.read_text() if keys_file.exists() else "  (none)\n")
        + f"  demo accounts  sign in at {base}/console/sign-in   ({accounts_file})\n"
        + _accounts_banner(accounts)
        + "  Try:  curl -X POST "
        f"{base}/v1/inquiries/web -H 'content-type: application/json' -d "
        '\'{"name":"Ana Example","phone":"+1 949 555 0100","email":"ana@example.com",'
        '"message":"Years of depression, nothing has worked. Is ketamine an option?",'
        '"consent_to_contact":true}\'\n'
        "Ctrl-C stops everything.\n"
    )

    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    restarts = 0
    while not stopping:
        time.sleep(0.5)
        for name, proc in list(children.items()):
            if proc.poll() is not None and not stopping:
                restarts += 1
                if restarts > 20:
                    typer.echo(f"{name} keeps dying; stopping", err=True)
                    stopping = True
                    break
                typer.echo(f"{name} exited with {proc.returncode}; restarting", err=True)
                children[name] = _spawn(CHILDREN[name])
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in children.values():
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0
