"""`c360 serve --workers 2`: several uvicorn processes behind one port, each building the
app from the environment, on the real Neo4j; Ctrl-C stops them all."""

from __future__ import annotations

import signal

import httpx
import neo4j
import pytest

from graph.connection import Neo4jSettings
from tests.conftest import cli_env, free_port, start_cli


@pytest.mark.http
def test_two_workers_serve_and_stop(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    clean_graph.execute_query(
        "UNWIND range(1, 3) AS i CREATE (:Dealer {code: 'W-' + i})",
        database_=neo4j_settings.database,
    )
    port = free_port()
    reader = start_cli(
        "serve", "--port", str(port), "--workers", "2", env=cli_env(neo4j_settings)
    )
    try:
        reader.wait_for("GraphiQL: http://127.0.0.1", timeout=120)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for _ in range(20):  # a new connection each time, spread over the workers
                got = http.post(
                    "/graphql",
                    json={"query": "{ dealers { totalCount } }"},
                    headers={"Connection": "close"},
                )
                assert got.json() == {"data": {"dealers": {"totalCount": 3}}}
    finally:
        reader.proc.send_signal(signal.SIGINT)
        assert reader.proc.wait(timeout=60) == 0
    assert not any("Traceback" in line for line in reader.rest())
