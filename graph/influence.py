"""Referral influence, stored on each person in a referral: descendants, conversions, score.

Computed in Python with networkx from the graph's REFERRED relationships and written back in
batches, after every batch load (``api.pipeline.run``) and every incremental one
(``api.incremental.run``): a new referral, a merge or a referee's first order moves the
scores, and the scale is over everyone in referrals, so the whole set is computed again
(the generated data has about one referral mention per hundred people) and only the
changed values are written. The score is PageRank on the
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
RETURN count(p) AS cleared
"""

# The stored scores: only those a change moved are written again.
STORED: LiteralString = """
MATCH (p:Person) WHERE p.referralInfluence IS NOT NULL
RETURN p.id AS id, p.referralDescendants AS descendants,
       p.referralConversions AS conversions, p.referralInfluence AS influence
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


def update(
    target: neo4j.Driver | neo4j.ManagedTransaction, database: str = "neo4j"
) -> int:
    """Recompute every referral score and store those that changed; the number of people
    whose scores changed (set, or cleared: no longer in a referral). ``target`` a
    transaction: all of it inside that one."""
    edges = load.read(target, EDGES, database)
    rows = scores(
        [(r["referrer"], r["referee"]) for r in edges],
        {r["referee"] for r in edges if r["ordered"]},
    )
    stored = {r["id"]: r for r in load.read(target, STORED, database)}
    changed = [r for r in rows if stored.get(r["id"]) != r]
    cleared = load.read(target, CLEAR, database)[0]["cleared"]
    load.load_rows(target, WRITE, changed, what="referral influence", database=database)
    return len(changed) + int(cleared)
