"""``c360 demo``: Neo4j -> demo data -> identity resolution -> graph -> GraphQL, in one command."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.load import run_load
from api.cli.output import say
from api.cli.serve import run_server
from graph.connection import Neo4jSettings
from graph.errors import C360Error
from graph.server import ManagedNeo4j
from linkage.records import DEMO_DIR


def demo(
    port: Annotated[
        int, typer.Option(help="HTTP port of the GraphQL API", min=1, max=65535)
    ] = 8000,
    keep_neo4j: Annotated[
        bool,
        typer.Option(
            "--keep-neo4j", help="Leave the managed Neo4j running after Ctrl-C"
        ),
    ] = False,
) -> None:
    """Run the whole service on the default setup and serve GraphiQL until Ctrl-C."""
    external = Neo4jSettings.from_env()
    managed = None if external else ManagedNeo4j()
    started_here = False
    if managed is not None and managed.settings() is None:
        say("step 1/3: starting the managed Neo4j (first run also fetches its jars)")
        managed.start(say=say)
        started_here = True
    else:
        say("step 1/3: using the running Neo4j")
    try:
        say(
            "step 2/3: loading the demo records, resolving identities, writing the graph"
        )
        result = run_load(DEMO_DIR / "records.jsonl", DEMO_DIR / "reference.json")
        settings = external or (managed.settings() if managed else None)
        if settings is None:
            raise C360Error("the managed Neo4j stopped during the demo; see its log")
        say("step 3/3: serving GraphQL")
        password_hint = (
            "NEO4J_PASSWORD" if external else f"the password in {managed.password_path}"  # type: ignore[union-attr]
        )
        example = '{ searchCustomers(text: "Bellini") { id displayName } }'
        run_server(
            settings,
            "127.0.0.1",
            port,
            lambda: say(
                f"ready: {result.persons} customers. Try {example}\n"
                f"GraphiQL: http://127.0.0.1:{port}/graphql | Cypher: {settings.uri} "
                f"(cypher-shell -a {settings.uri} -u {settings.user}, or Neo4j Browser; "
                f"{password_hint}) | Ctrl-C stops"
            ),
        )
    finally:
        if started_here and not keep_neo4j and managed is not None:
            managed.stop()
            say("stopped the managed Neo4j this demo started")
