"""The Typer app: one module per command group, registered here."""

from __future__ import annotations

import typer

from api.cli import (
    api_key_cmd,
    decide,
    demo,
    export_rdf,
    generate,
    linkage_cmd,
    load,
    neo4j_cmd,
    ontology_cmd,
    privacy_cmd,
    segments_cmd,
    serve,
    why,
)

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
app.add_typer(linkage_cmd.app, name="linkage")
app.add_typer(segments_cmd.app, name="segments")
app.add_typer(privacy_cmd.app, name="privacy")
app.add_typer(api_key_cmd.app, name="api-key")
app.command("resolve")(load.load)
app.command("load", help="The same as `c360 resolve`.")(load.load)
app.command("why")(why.why)
app.command("why-not")(why.why_not)
app.command("merge")(decide.merge)
app.command("split")(decide.split)
app.command("never-link")(decide.never_link)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("export-rdf")(export_rdf.export_rdf)
