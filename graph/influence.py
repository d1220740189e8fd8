"""Referral influence, stored on each person in a referral: descendants, conversions, score.

Computed in Python with networkx from the graph's REFERRED relationships and written back in
batches, after every batch load (``api.pipeline.run``). The score is PageRank on the
referral graph reversed (each referee passes credit to whoever brought them, damping 0.85),
scaled so its mean over the people in referrals is 1: a referrer whose people brought more
people scores above one who brought the same number of dead ends. People in no referral keep
no value: there is nothing to say about them.
"""

from __future__ import annotations

from typing import Any, LiteralString

import neo4j
import networkx as nx

from graph import load

# Conversions are counted among descendants, who are all referees: their order is enough.
EDGES: LiteralString = """
MATCH (a:Person)-[:REFERRED]->(b:Person)
RETURN a.id AS referrer, b.id AS referee, EXISTS { (b)-[:HAD]->(:Order) } AS ordered
"""

# A person who left every referral keeps no stale score.
CLEAR: LiteralString = """
MATCH (p:Person)
WHERE p.referralInfluence IS NOT NULL AND NOT (p)-[:REFERRED]-()
REMOVE p.referralInfluence, p.referralDescendants, p.referralConversions
"""

WRITE: LiteralString = """
UNWIND $rows AS r
MATCH (p:Person {id: r.id})
SET p.referralDescendants = r.descendants, p.referralConversions = r.conversions,
    p.referralInfluence = r.influence
"""


def scores(edges: list[tuple[str, str]], ordered: set[str]) -> list[dict[str, Any]]:
    """One row per person in ``edges`` (referrer, referee): descendants, conversions and
    the scaled PageRank, rounded to 6 decimals so re-runs store the same values."""
    graph: nx.DiGraph[str] = nx.DiGraph(edges)
    if not graph:
        return []
    rank = nx.pagerank(graph.reverse(copy=False), alpha=0.85, tol=1e-10)
    scale = len(rank) / sum(rank.values())
    rows = []
    for person in sorted(graph):
        below = nx.descendants(graph, person)
        rows.append(
            {
                "id": person,
                "descendants": len(below),
                "conversions": len(below & ordered),
                "influence": round(rank[person] * scale, 6),
            }
        )
    return rows


def update(driver: neo4j.Driver, database: str = "neo4j") -> int:
    """Recompute and store every referral score; the number of people scored."""
    edges, _, _ = driver.execute_query(EDGES, database_=database)
    rows = scores(
        [(r["referrer"], r["referee"]) for r in edges],
        {r["referee"] for r in edges if r["ordered"]},
    )
    driver.execute_query(CLEAR, database_=database)
    load.load_rows(driver, WRITE, rows, what="referral influence", database=database)
    return len(rows)
