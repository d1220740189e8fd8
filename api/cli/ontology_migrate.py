"""``c360 ontology migrate``: bring the graph's constraints and indexes to the ontology, recorded
as a ``SchemaVersion`` node; ``--dry-run`` only prints the plan."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.connect import neo4j_settings, open_driver
from api.cli.ontology_check import OntologyOption
from api.cli.output import say
from graph import migrate as migration
from ontology.model import load


def migrate(
    ontology: OntologyOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the plan and its Cypher; change nothing"),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Apply even if it drops a constraint or index or leaves removed data behind",
        ),
    ] = False,
) -> None:
    """Diff the ontology against the last applied SchemaVersion, then create and drop schema."""
    model = load(ontology)
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        plan = migration.plan(driver, model, settings.database)
        for line in (*map(str, plan.changes), *plan.data_migrations, *plan.statements):
            print(line)
        say(_headline(plan))
        if dry_run:
            if plan.refusal is not None:
                raise migration.MigrationRefused(plan.refusal)
            if plan.needs_force:
                say("dry run: applying it needs --force")
            say("dry run: nothing changed")
            return
        if plan.up_to_date:
            return
        migration.apply(driver, plan, force, settings.database)
    finally:
        driver.close()
    say(f"schema version {plan.version}: applied {len(plan.statements)} statement(s)")


def _headline(plan: migration.Plan) -> str:
    if plan.up_to_date:
        return f"schema version {plan.version} is up to date"
    start = (
        f"{plan.previous} -> {plan.version}"
        if plan.previous
        else f"first migration, to {plan.version}"
    )
    return (
        f"{start}: {len(plan.changes)} change(s), {len(plan.statements)} statement(s)"
    )
