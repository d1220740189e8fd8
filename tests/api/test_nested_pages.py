"""Nested Relay pages (``hadConnection``, ``ownsConnection``...): the same items as the plain
list, in the same order, page by page, with the total, in one query per request."""

from __future__ import annotations

from typing import Any

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import execute_graphql

PAGE = """
query($id: ID!, $after: String, $since: DateTime) {
  customer(id: $id) {
    hadConnection(first: 7, after: $after, where: {at: {gte: $since}}) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { __typename at sourceId } }
    }
    had(first: 500, where: {at: {gte: $since}}) { __typename at sourceId }
  }
}
"""


@pytest.fixture(scope="module")
def busiest(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> dict[str, Any]:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WITH p, COUNT { (p)-[:HAD]->() } AS n "
        "RETURN p.id AS id, n ORDER BY n DESC, id LIMIT 1",
        database_=neo4j_settings.database,
    )
    assert rows[0]["n"] > 20
    return rows[0].data()


@pytest.mark.parametrize("since", [None, "2024-01-01T00:00:00"])
def test_pages_walk_the_whole_list_in_its_order(
    neo4j_settings: Neo4jSettings, busiest: dict[str, Any], since: str | None
) -> None:
    seen: list[dict[str, Any]] = []
    after, whole, total = None, None, None
    while True:
        result = execute_graphql(
            neo4j_settings, PAGE, {"id": busiest["id"], "after": after, "since": since}
        )
        assert result.errors is None, result.errors
        page = result.data["customer"]["hadConnection"]
        whole = result.data["customer"]["had"]
        total = page["totalCount"]
        assert len(page["edges"]) <= 7
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    assert seen == whole and total == len(whole)
    if since is None:
        assert total == busiest["n"]
    else:
        assert 0 < total < busiest["n"]


def test_edge_pages_carry_the_relationship_properties(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE COUNT { (p)-[:OWNS]->() } >= 2 "
        "RETURN p.id AS id ORDER BY id LIMIT 1",
        database_=neo4j_settings.database,
    )
    result = execute_graphql(
        neo4j_settings,
        """query($id: ID!) { customer(id: $id) {
             ownsConnection(first: 1) { totalCount pageInfo { hasNextPage }
                                        nodes { ownedFrom node { vin } } }
             owns { ownedFrom node { vin } } } }""",
        {"id": rows[0]["id"]},
    )
    assert result.errors is None, result.errors
    got = result.data["customer"]
    assert got["ownsConnection"]["totalCount"] == len(got["owns"]) >= 2
    assert got["ownsConnection"]["pageInfo"]["hasNextPage"] is True
    assert got["ownsConnection"]["nodes"] == got["owns"][:1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("first: 1000", "first must be between 0 and 100"),
        ('after: "not-a-cursor"', "after is not a cursor"),
    ],
)
def test_bad_page_arguments_are_graphql_errors(
    neo4j_settings: Neo4jSettings, busiest: dict[str, Any], args: str, message: str
) -> None:
    result = execute_graphql(
        neo4j_settings,
        f"query($id: ID!) {{ customer(id: $id) {{ hadConnection({args}) {{ totalCount }} }} }}",
        {"id": busiest["id"]},
    )
    assert result.errors and message in result.errors[0].message
