"""A GraphQL fuzzer against the running API (`c360 serve` on a resolved generated data
set): hypothesis-graphql writes valid operations from the served schema (any root field,
any arguments, any nesting) and invalid ones (one schema violation each). Whatever comes,
the API answers 200 with data or a GraphQL error, or 400 for a malformed operation: never
a 500, a stack trace or a masked internal error."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import SCHEMA
from tests.conftest import cli_env, free_port, start_cli

SDL = SCHEMA.as_str()
SCALARS = {
    "Date": st.dates().map(lambda d: graphql.StringValueNode(value=d.isoformat())),
    "DateTime": st.datetimes().map(
        lambda d: graphql.StringValueNode(value=d.isoformat())
    ),
    "JSON": st.just(graphql.StringValueNode(value="{}")),
}
FUZZ = settings(  # C360_FUZZ_EXAMPLES=2000 for a deeper run
    max_examples=int(os.environ.get("C360_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def api(
    neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> Iterator[str]:
    """`c360 serve` (open: every caller is admin, so every query field is reachable)."""
    port = free_port()
    reader = start_cli("serve", "--port", str(port), env=cli_env(neo4j_settings))
    try:
        reader.wait_for("GraphiQL: http://127.0.0.1", timeout=60)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        reader.proc.send_signal(signal.SIGINT)
        assert reader.proc.wait(timeout=30) == 0
        rest = reader.rest()
        text = "\n".join(rest)
        at = text.find("Traceback")
        assert at < 0, text[max(0, at - 1500) : at + 3000]


def check(url: str, query: str) -> None:
    response = httpx.post(url, json={"query": query}, timeout=60)
    assert response.status_code in (200, 400), (response.status_code, query)
    assert "Traceback" not in response.text, query
    for error in response.json().get("errors") or []:
        assert "internal error" not in error["message"], (error, query)


@pytest.mark.http
@FUZZ
@given(query=from_schema(SDL, custom_scalars=SCALARS))
def test_valid_operations_never_fail_inside(api: str, query: str) -> None:
    check(api, query)


@pytest.mark.http
@FUZZ
@given(query=from_schema(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_invalid_operations_are_refused_cleanly(api: str, query: str) -> None:
    check(api, query)
