"""``c360 serve``: the GraphQL API on uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.cli.connect import neo4j_settings
from api.cli.output import say
from graph.connection import Neo4jSettings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port", min=1, max=65535)] = 8000,
) -> None:
    """Serve GraphQL (GraphiQL in the browser) at http://HOST:PORT/graphql. Ctrl-C stops it."""
    settings = neo4j_settings()
    run_server(settings, host, port, lambda: say(f"GraphiQL: http://{host}:{port}/graphql"))


def run_server(
    settings: Neo4jSettings, host: str, port: int, on_ready: Callable[[], None]
) -> None:
    """Run uvicorn until Ctrl-C or SIGTERM; ``on_ready`` fires once Neo4j was reached."""
    config = uvicorn.Config(
        create_app(settings, on_ready=on_ready),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        from graph.errors import C360Error

        raise C360Error(f"the API did not start on {host}:{port} (port busy, or Neo4j unreachable)")
