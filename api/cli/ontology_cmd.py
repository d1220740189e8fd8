"""``c360 ontology ...``: the maintainer's commands. Each takes ``--ontology PATH``.

Each command lives in its own module; this file only registers them.
"""

from __future__ import annotations

import typer

from api.cli import (
    ontology_check,
    ontology_diff,
    ontology_docs,
    ontology_graphql,
    ontology_migrate,
)

app = typer.Typer(
    help="Check, export and document the ontology (ontology/customer360.ttl by default).",
    no_args_is_help=True,
)
app.command("check")(ontology_check.check)
app.command("export-graphql")(ontology_graphql.export_graphql)
# Further commands register below, one line each.
app.command("docs")(ontology_docs.docs)
app.command("diff")(ontology_diff.diff)
app.command("migrate")(ontology_migrate.migrate)
