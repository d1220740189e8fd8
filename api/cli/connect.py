"""Which Neo4j a command talks to: ``NEO4J_URI`` if set, else the managed local server."""

from __future__ import annotations

import neo4j

from api.cli.output import say
from graph.connection import Neo4jSettings, connect, server_components
from graph.errors import Neo4jUnavailable
from graph.server import ManagedNeo4j


def neo4j_settings() -> Neo4jSettings:
    """Settings of the configured server; one clear error when there is none."""
    settings = Neo4jSettings.from_env()
    if settings is not None:
        return settings
    managed = ManagedNeo4j().settings()
    if managed is None:
        raise Neo4jUnavailable(
            "no Neo4j is running: start one with `c360 neo4j start`, or set NEO4J_URI, "
            "NEO4J_USER and NEO4J_PASSWORD for an existing server"
        )
    return managed


def open_driver(settings: Neo4jSettings) -> neo4j.Driver:
    """A checked driver; says once which server it reached."""
    driver = connect(settings)
    say(f"connected to {settings.uri}: {server_components(driver, settings.database)}")
    return driver
