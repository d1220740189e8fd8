"""Faults: when Neo4j goes away the API answers each request with a clear GraphQL error
within its bounded retry (no stack trace, no request left hanging), /health says 503, and
when Neo4j comes back the same app serves again by itself, with no restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from graph.connection import API_RETRY_SECONDS
from graph.server import ManagedNeo4j, Memory
from tests.conftest import free_port

pytestmark = pytest.mark.slow

QUERY = "{ segments { totalCount } }"


def test_the_api_reports_an_outage_and_recovers_by_itself(tmp_path: Path) -> None:
    server = ManagedNeo4j(tmp_path / "neo4j", Memory("512m", "64m"))
    port = free_port()
    settings = server.start(port=port)
    try:
        with TestClient(create_app(settings)) as client:
            up = client.post("/graphql", json={"query": QUERY}).json()
            assert up == {"data": {"segments": {"totalCount": 0}}}

            server.stop()
            started = time.monotonic()
            down = client.post("/graphql", json={"query": QUERY})
            waited = time.monotonic() - started
            assert down.status_code == 200  # a GraphQL error, not a server error
            [error] = down.json()["errors"]
            assert error["message"].startswith("Neo4j is unavailable")
            assert "Traceback" not in down.text
            assert waited < 4 * API_RETRY_SECONDS
            assert client.get("/health").status_code == 503

            server.start(port=port)
            again = client.post("/graphql", json={"query": QUERY}).json()
            assert again == up
            assert client.get("/health").status_code == 200
    finally:
        server.stop()
