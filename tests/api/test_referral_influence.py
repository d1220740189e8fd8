"""Referral influence stored by the load, read through GraphQL, checked against Cypher."""

from __future__ import annotations

import neo4j

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import execute_graphql

TOP = """
{
  persons(where: {referralInfluence: {gt: 0}}, orderBy: [{referralInfluence: DESC}], first: 5) {
    totalCount
    nodes { id referralInfluence referralDescendants referralConversions }
  }
}
"""

# Independently of networkx: every person's people below, by variable-length traversal.
BELOW = """
MATCH (p:Person)
OPTIONAL MATCH (p)-[:REFERRED*1..]->(x:Person)
WITH p, collect(DISTINCT x) AS below
RETURN p.id AS id, size(below) AS descendants,
       size([x IN below WHERE EXISTS { (x)-[:HAD]->(:Order) }]) AS conversions,
       EXISTS { (p)-[:REFERRED]-() } AS inReferral,
       p.referralDescendants AS storedDescendants,
       p.referralConversions AS storedConversions,
       p.referralInfluence AS influence
"""


def test_stored_influence_matches_the_referral_graph(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    loaded: pipeline.PipelineResult,
) -> None:
    rows, _, _ = driver.execute_query(BELOW, database_=neo4j_settings.database)
    scored = [r for r in rows if r["inReferral"]]
    assert scored and loaded.referrals > 0
    for r in rows:
        if r["inReferral"]:
            assert (r["storedDescendants"], r["storedConversions"]) == (
                r["descendants"],
                r["conversions"],
            ), r["id"]
            assert r["influence"] > 0
        else:  # nothing to say about people in no referral
            assert r["influence"] is None and r["storedDescendants"] is None
    mean = sum(r["influence"] for r in scored) / len(scored)
    assert abs(mean - 1) < 1e-3

    result = execute_graphql(neo4j_settings, TOP)
    assert result.errors is None, result.errors
    top = result.data["persons"]
    assert top["totalCount"] == len(scored)
    values = [n["referralInfluence"] for n in top["nodes"]]
    assert values == sorted(values, reverse=True)
    best = max(scored, key=lambda r: r["influence"])
    assert top["nodes"][0]["referralInfluence"] == best["influence"]
    # The most influential referrer brought someone in; the leaves score the least.
    assert top["nodes"][0]["referralDescendants"] >= 1
    assert best["influence"] > min(r["influence"] for r in scored)
