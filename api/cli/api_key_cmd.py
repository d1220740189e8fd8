"""``c360 api-key add|list|remove``: the keys GraphQL callers authenticate with."""

from __future__ import annotations

from typing import Annotated

import typer

from api.auth import add_key, keys_path, load_keys, remove_key
from api.cli.output import say
from graph.errors import C360Error
from graph.scope import Role, Scope

app = typer.Typer(
    help="API keys: mint one per front end or person (with its role), list, remove.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: Annotated[
        str, typer.Argument(help="What the key is for, e.g. dealer-portal-it-003")
    ],
    role: Annotated[Role, typer.Option(help="What the key may read")],
    dealer: Annotated[
        str | None, typer.Option(help="The dealer code (role dealer only)")
    ] = None,
    club: Annotated[
        str | None, typer.Option(help="The club code (role club only)")
    ] = None,
) -> None:
    """Mint a key; it is printed once, and only its SHA-256 is stored."""
    try:
        scope = Scope(role, dealer=dealer, club=club, name=name)
    except ValueError as exc:
        raise C360Error(str(exc)) from exc
    path = keys_path()
    secret = add_key(path, scope)
    say(
        f"key {name} ({role.value}) added to {path}; give it to its user now, it is not shown again:"
    )
    typer.echo(secret)


@app.command("list")
def list_keys() -> None:
    """The keys' names and roles (never the keys)."""
    path = keys_path()
    keys = load_keys(path)
    if not keys:
        say(f"no API keys in {path}: the GraphQL API is open (loopback only)")
    for k in keys:
        where = k.scope.dealer or k.scope.club
        typer.echo(f"{k.name}\t{k.scope.role.value}" + (f"\t{where}" if where else ""))


@app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The key's name")]) -> None:
    """Remove a key; a running API stops accepting it at its next restart."""
    if not remove_key(keys_path(), name):
        raise C360Error(f"no API key named {name}")
    say(f"key {name} removed")
