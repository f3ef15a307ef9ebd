"""Routing's command-line edge, mounted by `careroute` (careroute/cli.py):

    careroute directory import clinic.yaml [--deactivate-missing]
    careroute directory export [--output FILE]
    careroute rules import rules.yaml | careroute rules export
    careroute oncall coverage [--days 14]
    careroute simulate --directory clinic.yaml --rules rules.yaml --leads day.jsonl [--json]
    careroute leads export --days 30 > month.jsonl     (last month, to replay against new rules)

Validation errors are printed one per line as `file:line: field: message` and exit with status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
import yaml

directory_app = typer.Typer(no_args_is_help=True, help="Import and export the coordinator directory (YAML).")
rules_app = typer.Typer(no_args_is_help=True, help="Import and export the routing rules (YAML).")
oncall_app = typer.Typer(no_args_is_help=True, help="The on-call schedule.")
leads_app = typer.Typer(no_args_is_help=True, help="Export past leads for `careroute simulate`.")


def _setup() -> None:
    from shared.logging import configure_logging

    configure_logging("cli")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{path}: cannot read ({exc.strerror})", err=True)
        raise typer.Exit(2) from None


def _fail(exc) -> None:
    for line in exc.lines():
        typer.echo(line, err=True)
    raise typer.Exit(2)


def _dump(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=110)


@directory_app.command("import")
def directory_import(
    path: Path = typer.Argument(..., help="A directory YAML file (see docs/routing.md)."),
    deactivate_missing: bool = typer.Option(False, help="Deactivate coordinators not in the file."),
) -> None:
    """Validate and load a directory: coordinators are upserted by email; the on-call schedule is replaced."""

    from services.routing.adapters.directory_store import directory_uow
    from services.routing.app.directory import import_directory
    from services.routing.domain.documents import DocumentInvalid, parse_directory

    _setup()
    try:
        doc = parse_directory(_read(path), str(path))
    except DocumentInvalid as exc:
        _fail(exc)
    with directory_uow() as store:
        summary = import_directory(store, "cli", doc, deactivate_missing=deactivate_missing)
    typer.echo("directory imported: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


@directory_app.command("export")
def directory_export(output: Optional[Path] = typer.Option(None, "--output", "-o")) -> None:
    """Print the directory as YAML (the format `directory import` reads)."""
    from services.routing.adapters.directory_store import directory_uow
    from services.routing.app.directory import export_directory

    _setup()
    with directory_uow() as store:
        text = _dump(export_directory(store))
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"written to {output}")
    else:
        typer.echo(text, nl=False)


@rules_app.command("import")
def rules_import(path: Path = typer.Argument(..., help="A rules YAML file (see docs/routing.md).")) -> None:
    """Validate and store the rules as a new version (unchanged rules keep their version)."""
    from services.routing.adapters.directory_store import directory_uow
    from services.routing.app.directory import import_rules
    from services.routing.domain.documents import DocumentInvalid, parse_ruleset

    _setup()
    try:
        ruleset = parse_ruleset(_read(path), str(path))
    except DocumentInvalid as exc:
        _fail(exc)
    with directory_uow() as store:
        stored = import_rules(store, "cli", ruleset)
    typer.echo(
        f"rules version {stored.version}: " + ", ".join(f"{r.name} v{r.version}" for r in stored.rules)
    )


@rules_app.command("export")
def rules_export() -> None:
    """Print the live rules as YAML."""
    from services.routing.adapters.directory_store import directory_uow
    from services.routing.app.directory import export_rules

    _setup()
    with directory_uow() as store:
        typer.echo(_dump(export_rules(store)), nl=False)


@oncall_app.command("coverage")
def oncall_coverage(days: int = typer.Option(14, min=1, max=90)) -> None:
    """List gaps in the on-call schedule over the next DAYS (exit 1 if there is one)."""
    from shared.clock import utcnow

    from services.routing.adapters.repository import routing_uow
    from services.routing.app.coverage import on_call_now

    _setup()
    with routing_uow() as repo:
        _now, gaps = on_call_now(repo, utcnow(), days)
    if not gaps:
        typer.echo(f"on-call covered for the next {days} days")
        return
    for gap in gaps:
        typer.echo(f"GAP {gap.start.isoformat()} → {gap.end.isoformat()}")
    raise typer.Exit(1)


def simulate(
    directory: Path = typer.Option(..., "--directory", help="Directory YAML."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rules YAML (default: the shipped defaults)."),
    leads: Path = typer.Option(..., "--leads", help="JSON Lines of leads (see docs/routing.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    seed: int = typer.Option(7, help="Random seed for tie-breaks (runs are reproducible)."),
) -> None:
    """Replay leads against a directory and rules with a simulated clock; print load, SLA and paths."""
    from services.routing.domain.documents import DocumentInvalid, parse_directory, parse_ruleset
    from services.routing.domain.rules import default_ruleset
    from services.routing.domain.simulate import LeadsInvalid, parse_leads, run
    from services.routing.domain.simulate_report import format_report

    try:
        doc = parse_directory(_read(directory), str(directory))
        ruleset = parse_ruleset(_read(rules), str(rules)) if rules else default_ruleset()
        replay = parse_leads(_read(leads).splitlines(), str(leads))
    except (DocumentInvalid, LeadsInvalid) as exc:
        _fail(exc)
    report = run(doc, ruleset, replay, seed=seed)
    if as_json:
        json.dump(report.as_data(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        typer.echo(format_report(report), nl=False)


@leads_app.command("export")
def leads_export(
    days: int = typer.Option(30, min=1, max=366),
    output: Optional[Path] = typer.Option(None, "--output", "-o"),
) -> None:
    """Write the last DAYS of leads as JSON Lines for `careroute simulate` (no PHI: codes, times and
    opaque contact keys)."""
    from datetime import timedelta

    from shared.clock import utcnow

    from services.routing.adapters.directory_store import directory_uow
    from services.routing.app.directory import export_leads

    _setup()
    with directory_uow() as store:
        rows = export_leads(store, utcnow() - timedelta(days=days))
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"{len(rows)} leads written to {output}")
    else:
        typer.echo(text, nl=False)
