"""`careroute fhir client create|list|revoke`: register the EHRs that connect with SMART Backend
Services (their public keys and the organization their referrals belong to)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

fhir_app = typer.Typer(no_args_is_help=True, help="FHIR R4 interface: SMART Backend Services clients.")
client_app = typer.Typer(no_args_is_help=True, help="Register, list and revoke SMART clients.")
fhir_app.add_typer(client_app, name="client")


def _setup() -> None:
    from shared.logging import configure_logging

    configure_logging("cli")


@client_app.command("create")
def client_create(
    name: str = typer.Option(..., help="Who the client is (the EHR or practice), for the audit trail."),
    organization: str = typer.Option(..., help="Its referrals' organization: scopes what it may read."),
    jwks_file: Optional[Path] = typer.Option(None, "--jwks-file", help="A JWKS with its public key(s)."),
    public_key_pem: Optional[Path] = typer.Option(None, "--public-key-pem", help="Its public key as PEM."),
) -> None:
    """Register a client and print its client_id (for the assertion's iss and sub)."""
    from shared.db import unit_of_work
    from shared.smart.clients import create_client
    from shared.smart.keys import KeyRejected, jwks_from_json, jwks_from_pem

    _setup()
    if (jwks_file is None) == (public_key_pem is None):
        typer.echo("give exactly one of --jwks-file or --public-key-pem", err=True)
        raise typer.Exit(2)
    try:
        if jwks_file is not None:
            jwks = jwks_from_json(jwks_file.read_text(encoding="utf-8"))
        else:
            jwks = jwks_from_pem(public_key_pem.read_bytes())
    except (OSError, KeyRejected) as exc:
        typer.echo(f"key not accepted: {exc}", err=True)
        raise typer.Exit(2) from None
    with unit_of_work() as session:
        client = create_client(session, name, organization, jwks)
    typer.echo(client.client_id)


@client_app.command("list")
def client_list() -> None:
    """Every client: client_id, organization, name, and whether it is revoked."""
    from shared.db import unit_of_work
    from shared.smart.clients import list_clients

    _setup()
    with unit_of_work() as session:
        for c in list_clients(session):
            state = "revoked" if c.revoked_at else "active"
            typer.echo(f"{c.client_id}  {state:7}  {c.organization}  {c.name}")


@client_app.command("revoke")
def client_revoke(client_id: str = typer.Argument(...)) -> None:
    """Revoke a client: its access tokens stop working at once."""
    from shared.db import unit_of_work
    from shared.smart.clients import revoke_client

    _setup()
    with unit_of_work() as session:
        found = revoke_client(session, client_id)
    typer.echo("revoked" if found else "no such client")
    raise typer.Exit(0 if found else 1)
