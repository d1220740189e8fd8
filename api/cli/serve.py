"""``c360 serve``: the GraphQL API on uvicorn."""

from __future__ import annotations

import ipaddress
import signal
import socket
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.auth import keys_path, load_keys
from api.cli.connect import neo4j_settings
from api.cli.ontology_check import OntologyOption
from api.cli.output import say
from graph.connection import Neo4jSettings, connect
from graph.errors import C360Error
from ontology.model import Ontology
from ontology.model import load as load_ontology


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port", min=1, max=65535)] = 8000,
    ontology: OntologyOption = None,
) -> None:
    """Serve GraphQL (GraphiQL in the browser) at http://HOST:PORT/graphql. Ctrl-C stops it.

    Callers need an API key (``c360 api-key add``) once a key file exists; without one the
    API is open, so it then listens on the loopback interface only."""
    if not _loopback(host) and not load_keys(keys_path()):
        raise C360Error(
            f"refusing to serve on {host} without API keys: anyone could read every "
            "customer; add one with `c360 api-key add` or serve on 127.0.0.1"
        )
    model = load_ontology(ontology)
    settings = neo4j_settings()
    run_server(
        settings,
        host,
        port,
        lambda: say(f"GraphiQL: http://{host}:{port}/graphql"),
        model,
    )


def run_server(
    settings: Neo4jSettings,
    host: str,
    port: int,
    on_ready: Callable[[], None],
    model: Ontology | None = None,
) -> None:
    """Run uvicorn until Ctrl-C or SIGTERM; ``on_ready`` fires once Neo4j was reached."""
    # A missing server or a busy port is one line here, not a uvicorn traceback.
    connect(settings).close()
    _check_port_free(host, port)
    config = uvicorn.Config(
        create_app(settings, on_ready=on_ready, model=model),
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


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise C360Error(
                f"cannot serve on {host}:{port} ({exc.strerror}): choose another --port"
            ) from exc


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
