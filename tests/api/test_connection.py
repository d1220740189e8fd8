"""``connection(a, b, maxHops)`` against networkx on the same relationships of the graph.

The query finds paths through 0, 1 and 2 dealers separately (graph/cypher/connections.py);
networkx searches every link at once, so agreeing on many pairs, with answers of each
kind, checks the split."""

from __future__ import annotations

import itertools
import random
from typing import Any

import neo4j
import networkx as nx
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import execute_graphql

QUERY = """
query($a: ID!, $b: ID!, $max: Int!) {
  connection(a: $a, b: $b, maxHops: $max) { hops nodes { kind key name } relationships }
}
"""
EDGES = """
MATCH (x)-[r:REFERRED|MEMBER_OF|PREFERS_DEALER|HAD|AT_EVENT]->(y)
WHERE (x:Person OR x:EventAttendance) AND (y:Person OR y:Club OR y:Dealer
       OR y:EventAttendance OR y:Event)
RETURN coalesce(x.id, x.sourceId) AS x, coalesce(y.id, y.code, y.sourceId) AS y,
       x:Person AS xp, y:Person AS yp
"""


@pytest.fixture(scope="module")
def graph(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    loaded: pipeline.PipelineResult,
) -> tuple[nx.Graph, set[str]]:
    """The same relationships as an undirected networkx graph of node keys (customer ID,
    club or dealer code, event ID, attendance source ID: unique across kinds here);
    the customer IDs among them."""
    rows, _, _ = driver.execute_query(EDGES, database_=neo4j_settings.database)
    g: nx.Graph = nx.Graph()
    people: set[str] = set()
    for r in rows:
        g.add_edge(r["x"], r["y"])
        if r["xp"]:
            people.add(r["x"])
        if r["yp"]:
            people.add(r["y"])
    return g, people


def _ask(settings: Neo4jSettings, a: str, b: str, most: int = 6) -> Any:
    return execute_graphql(settings, QUERY, {"a": a, "b": b, "max": most})


def test_connection_is_a_shortest_path_as_networkx_finds_it(
    neo4j_settings: Neo4jSettings, graph: tuple[nx.Graph, set[str]]
) -> None:
    g, people = graph
    rng = random.Random(5)
    ids = sorted(people)
    lengths: list[int | None] = []
    dealers: set[int] = set()
    # At least 150 pairs, and more (up to 600) until each kind of path has come up.
    for n in range(600):
        if n >= 150 and dealers == {0, 1, 2}:
            break
        a, b = rng.sample(ids, 2)
        try:
            expected: int | None = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            expected = None
        if expected is not None and expected > 6:
            expected = None
        result = _ask(neo4j_settings, a, b)
        assert result.errors is None, result.errors
        got = result.data["connection"]
        assert (got and got["hops"]) == expected, (a, b)
        lengths.append(expected)
        if got:
            nodes = got["nodes"]
            assert (nodes[0]["key"], nodes[-1]["key"]) == (a, b)
            assert len(nodes) == len(got["relationships"]) + 1 == got["hops"] + 1
            keys = [n["key"] for n in nodes]
            assert len(set(keys)) == len(keys)  # a path, no node twice
            assert all(g.has_edge(x, y) for x, y in itertools.pairwise(keys))
            dealers.add(sum(n["kind"] == "Dealer" for n in nodes))
            # A shorter limit than the path is no answer.
            if got["hops"] > 1:
                short = _ask(neo4j_settings, a, b, got["hops"] - 1)
                assert short.errors is None and short.data["connection"] is None
    assert (
        len({n for n in lengths if n is not None}) >= 2
    )  # varied, not one trivial case
    assert dealers == {0, 1, 2}  # each kind of path the query searches apart


def test_a_referral_is_one_hop(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    rows, _, _ = driver.execute_query(
        "MATCH (a:Person)-[:REFERRED]->(b:Person) RETURN a.id AS a, b.id AS b LIMIT 1",
        database_=neo4j_settings.database,
    )
    a, b = rows[0]["a"], rows[0]["b"]
    got = _ask(neo4j_settings, b, a).data["connection"]
    assert got["hops"] == 1 and got["relationships"] == ["REFERRED"]
    assert [n["kind"] for n in got["nodes"]] == ["Person", "Person"]


@pytest.mark.parametrize(
    ("a", "b", "most", "message"),
    [
        ("P1", "P2", 7, "maxHops must be between 1 and 6"),
        ("P1", "P2", 0, "maxHops must be between 1 and 6"),
        ("P1", "P1", 3, "two different customers"),
    ],
)
def test_bad_arguments_are_graphql_errors(
    neo4j_settings: Neo4jSettings, a: str, b: str, most: int, message: str
) -> None:
    result = _ask(neo4j_settings, a, b, most)
    assert result.errors and message in result.errors[0].message
    assert result.data is None or result.data["connection"] is None


def test_unknown_or_hostile_ids_are_null(
    neo4j_settings: Neo4jSettings, graph: tuple[nx.Graph, set[str]]
) -> None:
    known = sorted(graph[1])[0]
    for hostile in ("nobody", "x' OR 1=1 //", "}) MATCH (n) DETACH DELETE n //"):
        result = _ask(neo4j_settings, known, hostile)
        assert result.errors is None and result.data["connection"] is None
