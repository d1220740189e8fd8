"""Every query of docs/cypher-cookbook.md runs against a generated graph and answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings

pytestmark = pytest.mark.neo4j

COOKBOOK = Path(__file__).parents[2] / "docs" / "cypher-cookbook.md"
BLOCK = re.compile(r"^### (.+?)\n.*?```cypher\n(.*?)```", re.S | re.M)
PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def _queries() -> list[tuple[str, str]]:
    found = BLOCK.findall(COOKBOOK.read_text(encoding="utf-8"))
    assert len(found) >= 10
    return [(title, query) for title, query in found]


@pytest.fixture(scope="module")
def params(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> dict[str, Any]:
    """Values the generated graph has: a record, a customer, a busy dealer, two of its
    customers, a referee."""
    db = neo4j_settings.database
    record, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord {source: 'dealer_crm'})-[:RESOLVED_TO]->(p:Person) "
        "RETURN s.source AS source, s.sourceId AS sourceId, p.id AS customer "
        "ORDER BY COUNT { (p)-[:HAD]->() } DESC, p.id LIMIT 1",
        database_=db,
    )
    dealer, _, _ = driver.execute_query(
        "MATCH (q:Quotation)-[:AT_DEALER]->(d:Dealer) "
        "WITH d, count(q) AS n RETURN d.code AS dealer ORDER BY n DESC, dealer LIMIT 1",
        database_=db,
    )
    referee, _, _ = driver.execute_query(
        "MATCH ()-[:REFERRED]->(b:Person) RETURN b.id AS referee ORDER BY b.id LIMIT 1",
        database_=db,
    )
    pair, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:PREFERS_DEALER]->(:Dealer {code: $dealer}) "
        "WITH p ORDER BY p.id LIMIT 2 WITH collect(p.id) AS two "
        "RETURN two[0] AS a, two[1] AS b",
        dealer=dealer[0]["dealer"],
        database_=db,
    )
    return {
        **record[0].data(),
        **dealer[0].data(),
        **referee[0].data(),
        **pair[0].data(),  # two customers of that dealer
        "days": 60,
    }


@pytest.mark.parametrize(("title", "query"), _queries(), ids=[t for t, _ in _queries()])
def test_cookbook_query_answers(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    params: dict[str, Any],
    title: str,
    query: str,
) -> None:
    db = neo4j_settings.database
    wanted = set(PARAM.findall(query))
    assert wanted <= params.keys(), (
        f"{title}: no test value for {wanted - params.keys()}"
    )
    rows, _, _ = driver.execute_query(
        query,
        {k: params[k] for k in wanted},
        database_=db,
        routing_=neo4j.RoutingControl.READ,
    )
    assert rows, f"{title}: no rows on the generated graph"
    assert any(v not in (None, [], 0) for r in rows for v in r.values()), title
