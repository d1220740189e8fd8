"""``c360 privacy export|erase|audit``: the privacy officer's rights-of-access and erasure
tools, and the audit trail they write."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import neo4j
import typer

from api.cli.connect import neo4j_settings, open_driver
from api.cli.output import say
from graph import privacy
from linkage.tombstones import privacy_key

app = typer.Typer(
    help="Privacy: export everything held about a customer, erase a customer, read the audit trail.",
    no_args_is_help=True,
)

Customer = Annotated[str, typer.Argument(help="The customer's ID (Person.id)")]
Reason = Annotated[
    str,
    typer.Option(
        help="Why, e.g. the request's reference (kept in the audit trail)", min=3
    ),
]


def _actor() -> str:
    return os.environ.get("C360_ACTOR") or getpass.getuser()


@contextlib.contextmanager
def _graph() -> Iterator[tuple[neo4j.Driver, str]]:
    """The driver and database of the configured Neo4j, closed afterwards."""
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        yield driver, settings.database
    finally:
        driver.close()


@app.command("export")
def export(
    customer: Customer,
    reason: Reason,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the JSON here instead of printing it", dir_okay=False),
    ] = None,
) -> None:
    """Everything held about a customer as JSON (right of access); audited."""
    with _graph() as (driver, database):
        data = privacy.export(
            driver, database, customer, privacy_key(), _actor(), reason
        )
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        say(f"wrote {out} ({len(data['sourceRecords'])} source records)")


@app.command("erase")
def erase(customer: Customer, reason: Reason) -> None:
    """Remove a customer across its whole identity cluster; later imports of its records
    are suppressed (tombstones); audited."""
    with _graph() as (driver, database):
        done = privacy.erase(
            driver, database, customer, privacy_key(), _actor(), reason
        )
    removed = ", ".join(f"{n} {what}" for what, n in done.removed.items() if n)
    say(
        f"erased {customer}: {removed}; {done.tombstones} tombstones; audit {done.audit_id}"
    )


@app.command("audit")
def audit(
    customer: Annotated[
        str | None, typer.Option(help="Only entries about this customer ID")
    ] = None,
    since: Annotated[
        dt.datetime | None, typer.Option(help="From this moment (UTC)")
    ] = None,
    until: Annotated[
        dt.datetime | None, typer.Option(help="Before this moment (UTC)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Audit entries (exports, erasures), newest first, as JSON lines."""
    with _graph() as (driver, database):
        entries = privacy.trail(
            driver, database, privacy_key(), customer, since, until, limit
        )
    for e in entries:
        print(json.dumps(e, ensure_ascii=False, sort_keys=True))
