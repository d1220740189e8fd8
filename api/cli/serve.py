"""``c360 serve``: the GraphQL API on uvicorn."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.cli.connect import neo4j_settings
from api.cli.output import say
from graph.connection import Neo4jSettings, connect
from graph.errors import C360Error


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port", min=1, max=65535)] = 8000,
) -> None:
    """Serve GraphQL (GraphiQL in the browser) at http://HOST:PORT/graphql. Ctrl-C stops it."""
    settings = neo4j_settings()
    run_server(
        settings, host, port, lambda: say(f"GraphiQL: http://{host}:{port}/graphql")
    )


def run_server(
    settings: Neo4jSettings, host: str, port: int, on_ready: Callable[[], None]
) -> None:
    """Run uvicorn until Ctrl-C or SIGTERM; ``on_ready`` fires once Neo4j was reached."""
    connect(
        settings
    ).close()  # a missing server is one line here, not a uvicorn traceback
    config = uvicorn.Config(
        create_app(settings, on_ready=on_ready),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully, then re-raises the signal; make SIGTERM behave like
    # Ctrl-C so callers' clean-up (the demo stopping its Neo4j) runs for both.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not server.started:
        raise C360Error(
            f"the API did not start on {host}:{port} (port busy, or Neo4j unreachable)"
        )
    say("API stopped")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
