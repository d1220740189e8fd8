"""The ASGI app: GraphQL (with GraphiQL) at /graphql, a health check at /health."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import neo4j
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import (
    SCOPE_KEY,
    ApiKey,
    Authenticate,
    keys_path,
    load_keys,
    pseudonymiser,
)
from api.limit import CONCURRENCY, MAX_IN_FLIGHT, InFlightLimit
from api.schema import build_schema
from graph.connection import Neo4jSettings, async_driver, connect, translate
from ontology.model import Ontology
from ontology.model import default as default_ontology

log = logging.getLogger("c360.api")


class _GraphQL(GraphQL[dict[str, Any], None]):
    def __init__(self, state: dict[str, Any], schema: strawberry.Schema) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self._state = state

    def _writer(self) -> neo4j.Driver:
        """A sync driver for the privacy mutations' transactions (``graph.privacy``),
        opened at the first one; rare, so not worth a pool at start-up."""
        if "writer" not in self._state:
            self._state["writer"] = connect(self._state["settings"])
        driver: neo4j.Driver = self._state["writer"]
        return driver

    async def get_context(
        self, request: Request | WebSocket, response: Any
    ) -> dict[str, Any]:
        return {
            "driver": self._state["driver"],
            "database": self._state["database"],
            "request": request,
            "scope": request.scope.get(SCOPE_KEY),  # None without keys: admin
            "writer": self._writer,  # the privacy mutations' (sync) driver
            "pseudonymise": self._state.get("pseudonymise"),
            "privacy_key": self._state.get("privacy_key"),
        }


def create_app(
    settings: Neo4jSettings,
    on_ready: Callable[[], None] | None = None,
    model: Ontology | None = None,
    max_in_flight: int = MAX_IN_FLIGHT,
    concurrency: int = CONCURRENCY,
    keys: list[ApiKey] | None = None,
) -> Starlette:
    """The app for uvicorn. The driver opens (and is verified) at start-up, closes at shutdown.

    GraphQL callers authenticate with the API keys of ``keys`` (default: the key file,
    ``api.auth``); with none, the API is open and every caller is admin.

    GraphQL requests run ``concurrency`` at a time, the others wait their turn in arrival
    order (``C360_CONCURRENCY``, default 4); more than ``max_in_flight`` running or waiting
    are answered 503 with Retry-After (``C360_MAX_IN_FLIGHT``, default 64; ``api.limit``).

    The GraphQL schema is derived from ``model`` (default: ``C360_ONTOLOGY`` or the project's
    ontology), so a changed ontology is served after a restart, with no code change.
    """
    state: dict[str, Any] = {"database": settings.database, "settings": settings}
    keys = load_keys(keys_path()) if keys is None else keys
    if keys:  # roles below admin read some personal data pseudonymised
        from linkage.tombstones import privacy_key

        state["privacy_key"] = privacy_key()
        state["pseudonymise"] = pseudonymiser(state["privacy_key"])
    else:
        log.warning("no API keys configured: the GraphQL API is open to any caller")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        driver: neo4j.AsyncDriver = async_driver(settings)
        try:
            await driver.verify_connectivity()
        except BaseException as exc:
            await driver.close()
            raise translate(exc, settings) from exc
        state["driver"] = driver
        # What start-up built (schema, ontology, driver) lives as long as the process;
        # frozen, a full garbage collection no longer walks its ~200,000 objects, which
        # took 70 ms here and stalled every request in flight.
        gc.collect()
        gc.freeze()
        if on_ready:
            on_ready()
        try:
            yield
        finally:
            await driver.close()
            if "writer" in state:
                state.pop("writer").close()

    async def health(_: Request) -> JSONResponse:
        try:
            await state["driver"].verify_connectivity()
        except Exception:  # health reports, it never raises
            log.exception("health check failed")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    graphql = _GraphQL(state, build_schema(model or default_ontology()))
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/health", health),
        ],
        middleware=[
            Middleware(InFlightLimit, limit=max_in_flight, concurrency=concurrency),
            Middleware(Authenticate, keys=keys),
        ],
        lifespan=lifespan,
    )


def from_environment() -> Starlette:
    """The app for ``uvicorn --factory`` (``c360 serve --workers N``): Neo4j from
    ``NEO4J_*`` or the managed server, the ontology from ``C360_ONTOLOGY``."""
    from api.cli.connect import neo4j_settings  # the CLI's one way to find Neo4j

    return create_app(neo4j_settings())
