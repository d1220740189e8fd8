"""``c360 serve``: the GraphQL API on uvicorn."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import httpx
import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

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
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes (one per core serves the most; default "
            "$C360_WORKERS, else 1)",
            min=1,
            max=64,
            envvar="C360_WORKERS",
        ),
    ] = 1,
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
    ready = lambda: say(f"GraphiQL: http://{host}:{port}/graphql")  # noqa: E731
    if workers > 1:
        run_workers(settings, host, port, ready, model, workers)
    else:
        run_server(settings, host, port, ready, model)


def run_workers(
    settings: Neo4jSettings,
    host: str,
    port: int,
    on_ready: Callable[[], None],
    model: Ontology,
    workers: int,
) -> None:
    """uvicorn's supervisor with ``workers`` processes, each building the app from the
    environment (``api.app.from_environment``); ``on_ready`` fires once /health answers.
    The Python process is the API's bottleneck, so on 2 cores 2 workers serve about 40%
    more requests (bench/load_test.py --workers)."""
    connect(settings).close()
    _check_port_free(host, port)
    os.environ |= {
        "NEO4J_URI": settings.uri,
        "NEO4J_USER": settings.user,
        "NEO4J_PASSWORD": settings.password,
        "NEO4J_DATABASE": settings.database,
        "C360_ONTOLOGY": str(model.path),
    }
    threading.Thread(
        target=_when_healthy, args=(host, port, on_ready), daemon=True
    ).start()
    config = uvicorn.Config(
        "api.app:from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
    bound = config.bind_socket()
    # uvicorn binds with protocol 0, and asyncio sets TCP_NODELAY only on TCP-protocol
    # sockets: without this every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(
        bound.family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=bound.detach()
    )
    Multiprocess(config, sockets=[sock]).run()
    say("API stopped")


def _when_healthy(host: str, port: int, on_ready: Callable[[], None]) -> None:
    for _ in range(1200):
        try:
            if httpx.get(f"http://{host}:{port}/health", timeout=1).status_code == 200:
                on_ready()
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)


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
