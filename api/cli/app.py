"""The Typer app: one module per command group, registered here."""

from __future__ import annotations

import typer

from api.cli import demo, export_rdf, generate, load, neo4j_cmd, ontology_cmd, serve

app = typer.Typer(
    name="c360",
    help="customer360: a knowledge-graph customer 360 on Neo4j, served over GraphQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(neo4j_cmd.app, name="neo4j")
app.add_typer(ontology_cmd.app, name="ontology")
app.command("generate")(generate.generate)
app.command("load")(load.load)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("export-rdf")(export_rdf.export_rdf)
