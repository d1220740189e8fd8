"""One way to reach Neo4j: ``Neo4jSettings`` -> a verified driver, with one-line errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from graph.errors import C360Error, Neo4jAuthError, Neo4jSetupError, Neo4jUnavailable


@dataclass(frozen=True)
class Neo4jSettings:
    """Where Neo4j is and who we are there. ``repr`` hides the password."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"

    def __repr__(self) -> str:
        return f"Neo4jSettings(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Neo4jSettings | None:
        """Settings from ``NEO4J_URI``/``NEO4J_USER``/``NEO4J_PASSWORD``; None when no URI."""
        env = os.environ if env is None else env
        uri = env.get("NEO4J_URI", "").strip()
        if not uri:
            return None
        password = env.get("NEO4J_PASSWORD")
        if password is None:
            raise Neo4jSetupError(
                f"NEO4J_URI is set to {uri} but NEO4J_PASSWORD is not: set both"
            )
        return cls(
            uri=uri,
            user=env.get("NEO4J_USER", "neo4j"),
            password=password,
            database=env.get("NEO4J_DATABASE", "neo4j"),
        )


def connect(settings: Neo4jSettings) -> neo4j.Driver:
    """A driver whose connectivity and credentials were checked, or one clear error."""
    try:
        driver = GraphDatabase.driver(
            settings.uri,
            auth=(settings.user, settings.password),
            # A first load reads labels and properties that do not exist yet; that is
            # expected, not worth a warning on the user's terminal.
            notifications_disabled_classifications=[
                neo4j.NotificationDisabledClassification.UNRECOGNIZED
            ],
        )
    except (ConfigurationError, ValueError) as exc:
        raise Neo4jSetupError(
            f"NEO4J_URI {settings.uri!r} is not a Neo4j URI: {exc}"
        ) from exc
    try:
        driver.verify_connectivity()
    except BaseException as exc:
        driver.close()
        raise translate(exc, settings) from exc
    return driver


# How long the API's driver keeps retrying a read while Neo4j is away (with the driver's
# exponential backoff) before the request gets an error: bounded, so requests fail fast and
# do not pile up; the next request after Neo4j returns reconnects by itself.
API_RETRY_SECONDS = 5.0


def async_driver(settings: Neo4jSettings) -> neo4j.AsyncDriver:
    """The async driver the API uses; checked with ``verify_async`` at app start-up."""
    return neo4j.AsyncGraphDatabase.driver(
        settings.uri,
        auth=(settings.user, settings.password),
        max_transaction_retry_time=API_RETRY_SECONDS,
        # A property no node has yet (IN_SEGMENT.until before any membership ended) is
        # expected; a warning per request would flood the server's log.
        notifications_disabled_classifications=[
            neo4j.NotificationDisabledClassification.UNRECOGNIZED
        ],
        connection_timeout=API_RETRY_SECONDS,
        connection_acquisition_timeout=2 * API_RETRY_SECONDS,
    )


def translate(exc: BaseException, settings: Neo4jSettings) -> BaseException:
    """Map a driver connection error to ours; anything else is returned unchanged."""
    if isinstance(exc, AuthError):
        return Neo4jAuthError(
            f"Neo4j at {settings.uri} refused user {settings.user!r}: "
            "check NEO4J_USER and NEO4J_PASSWORD"
        )
    if isinstance(exc, ServiceUnavailable | OSError):
        return Neo4jUnavailable(
            f"cannot reach Neo4j at {settings.uri}: start it with `c360 neo4j start` "
            "or point NEO4J_URI at a running server"
        )
    if isinstance(exc, Neo4jError | DriverError):
        detail = getattr(exc, "message", None) or str(exc)
        return C360Error(f"Neo4j at {settings.uri} refused the connection: {detail}")
    return exc


def server_components(driver: neo4j.Driver, database: str = "neo4j") -> str:
    """``CALL dbms.components()`` as one line, e.g. 'Neo4j Kernel 5.26.30 community'."""
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN name, versions[0] AS version, edition",
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return ", ".join(f"{r['name']} {r['version']} {r['edition']}" for r in records)
