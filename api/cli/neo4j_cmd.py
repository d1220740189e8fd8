"""``c360 neo4j start|stop|status|lock|add-reader``: the managed local Neo4j.

``start`` and ``status`` print the Bolt URI alone on the last line of stdout, for scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.connect import neo4j_settings
from api.cli.output import say
from graph import runtime, users
from graph.connection import Neo4jSettings, connect, server_components
from graph.errors import Neo4jSetupError, Neo4jUnavailable
from graph.server import ManagedNeo4j, Memory

app = typer.Typer(
    help="Run the managed local Neo4j (used when NEO4J_URI is not set).",
    no_args_is_help=True,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Data folder [default: $C360_HOME/neo4j or ~/.local/share/c360/neo4j]",
    ),
]


@app.command()
def start(
    home: HomeOpt = None,
    port: Annotated[
        int | None,
        typer.Option(help="Bolt port [default: 7687, or a free one if busy]"),
    ] = None,
    heap: Annotated[str | None, typer.Option(help="JVM heap, e.g. 2g")] = None,
    pagecache: Annotated[str | None, typer.Option(help="Page cache, e.g. 1g")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt")] = 180.0,
) -> None:
    """Provision (first time) and start Neo4j on 127.0.0.1; reuse it if it already runs."""
    _refuse_external("start")
    default = Memory.default()
    server = ManagedNeo4j(
        home, Memory(heap or default.heap, pagecache or default.pagecache)
    )
    settings = server.start(port=port, timeout=timeout, say=say)
    say(f"user neo4j, password in {server.password_path} (or NEO4J_PASSWORD)")
    print(settings.uri)


@app.command()
def stop(home: HomeOpt = None) -> None:
    """Stop the managed Neo4j cleanly (SIGTERM, then SIGKILL after 90 s)."""
    _refuse_external("stop")
    if ManagedNeo4j(home).stop():
        say("Neo4j stopped")
    else:
        say("Neo4j was not running")


@app.command()
def status(home: HomeOpt = None) -> None:
    """Say whether Neo4j answers; exit 1 when nothing runs. Works for NEO4J_URI too."""
    settings = Neo4jSettings.from_env()
    if settings is None:
        server = ManagedNeo4j(home)
        settings = server.settings()
        if settings is None:
            raise Neo4jUnavailable(f"managed Neo4j is not running (home {server.home})")
        say(f"managed Neo4j, pid {server.state()['pid']}, home {server.home}")  # type: ignore[index]
    driver = connect(settings)
    try:
        say(server_components(driver, settings.database))
    finally:
        driver.close()
    print(settings.uri)


@app.command()
def lock() -> None:
    """Re-resolve graph/neo4j_runtime/pom.xml with Maven and rewrite jars.lock (maintainers)."""
    runtime.relock(say)


def _refuse_external(action: str) -> None:
    if Neo4jSettings.from_env() is not None:
        raise Neo4jSetupError(
            f"NEO4J_URI is set, so the managed Neo4j is not used: unset it to {action} the managed server"
        )


@app.command("add-reader")
def add_reader(
    name: Annotated[str, typer.Argument(help="The user name, e.g. analyst")],
) -> None:
    """Create a Neo4j user for an analyst (cypher-shell, Neo4j Browser); its password is
    printed once. Community cannot make it read-only: connect with --access-mode read."""
    settings = neo4j_settings()
    driver = connect(settings)
    try:
        password, enforced = users.create_reader(driver, name)
    finally:
        driver.close()
    if enforced:
        say(f"user {name} created with the reader role (read-only, enforced by Neo4j)")
    else:
        say(
            f"user {name} created. Neo4j Community has no roles: the server lets it write; "
            f"connect with `cypher-shell -a {settings.uri} -u {name} --access-mode read`, "
            "which Neo4j holds to reads. Its password, shown once:"
        )
    print(password)
