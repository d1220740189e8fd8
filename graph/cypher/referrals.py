"""Referral edges: written from the sources' referral mentions, read as chains and trees.

A batch run derives every ``REFERRED`` edge from the sources again, so it replaces them all.
Traversals are capped in depth (the longest chain the business expects is about 5) and in
fan-out, whatever a request asks.
"""

from __future__ import annotations

from typing import LiteralString

MAX_DEPTH = 6  # a hard cap in the query text; requests ask for less

CLEAR: LiteralString = """
MATCH ()-[x:REFERRED]->()
CALL (x) { DELETE x } IN TRANSACTIONS OF 10000 ROWS
"""

WRITE: LiteralString = """
UNWIND $rows AS r
MATCH (a:Person {id: r.referrer}), (b:Person {id: r.referee})
MERGE (a)-[x:REFERRED]->(b)
SET x = r.props
"""

# A referral an earlier mention took the place of (an incremental run).
UNREFER: LiteralString = """
UNWIND $rows AS r
MATCH (:Person {id: r.referrer})-[x:REFERRED]->(:Person {id: r.referee})
DELETE x
"""

# Held referrals (``HeldReferral``): mentions that found no person, kept as read until a
# change gives both sides one (``api.touchpoint_load.claim_referrals``). A batch run holds
# them all again, as it writes every referral again.
HELD = "HeldReferral"

HOLD: LiteralString = """
UNWIND $rows AS r
MERGE (h:HeldReferral {evidence: r.props.evidence, mechanism: r.props.mechanism})
SET h = r.props
"""

UNHOLD: LiteralString = """
UNWIND $keys AS k
MATCH (h:HeldReferral {evidence: k.evidence, mechanism: k.mechanism})
DELETE h
"""

CLEAR_HELD: LiteralString = """
MATCH (h:HeldReferral)
CALL (h) { DELETE h } IN TRANSACTIONS OF 10000 ROWS
"""

# A person ``p``'s first buying signal ($leads: touchpoint classes): a referral dated
# after it is no hop (domain brief §5).
_FIRST_LEAD: LiteralString = """COLLECT {
         MATCH (p)-[:HAD]->(t:Touchpoint) WHERE any(l IN labels(t) WHERE l IN $leads)
         RETURN t.at ORDER BY t.at LIMIT 1
       }[0]"""

# For an incremental run: the referrals above each of $ids (its referrer, theirs, and so on;
# one referrer a person makes each chain a line) and each one's first buying signal,
# which decide whether a new mention can be a hop.
AROUND: LiteralString = (
    """
UNWIND $ids AS id
MATCH (p:Person {id: id})
RETURN id,
       COLLECT {
         MATCH path = (p)<-[:REFERRED*1..100]-(:Person)
         UNWIND relationships(path) AS r
         RETURN DISTINCT r {referrer: startNode(r).id, referee: endNode(r).id,
                            .mechanism, .at, .evidence}
       } AS above,
       """
    + _FIRST_LEAD
    + """ AS firstLead
"""
)

# The referrals into each of $ids that has any, with its first buying signal: a change
# may have left one a hop a batch run refuses (``linkage.referrals.recheck``).
INTO: LiteralString = (
    """
UNWIND $ids AS id
MATCH (p:Person {id: id})
WHERE EXISTS { (p)<-[:REFERRED]-() }
RETURN id,
       COLLECT {
         MATCH (a:Person)-[r:REFERRED]->(p)
         RETURN r {referrer: a.id, referee: id, .mechanism, .at, .evidence}
       } AS hops,
       """
    + _FIRST_LEAD
    + """ AS firstLead
"""
)

# From the customer up to the root of their chain: one row per hop, nearest first.
CHAIN: LiteralString = """
MATCH path = (root:Person)-[:REFERRED*1..6]->(p:Person {id: $id})
WHERE NOT ()-[:REFERRED]->(root)
UNWIND range(length(path) - 1, 0, -1) AS i
WITH path, i, relationships(path)[i] AS hop
RETURN startNode(hop).id AS referrer, endNode(hop).id AS referee,
       length(path) - i AS depth, hop.mechanism AS mechanism, hop.at AS at,
       hop.evidence AS evidence
ORDER BY depth
"""

# Downstream of the customer, breadth first, within maxDepth and maxNodes.
TREE: LiteralString = """
MATCH path = (p:Person {id: $id})-[:REFERRED*1..6]->(x:Person)
WHERE length(path) <= $maxDepth
WITH last(relationships(path)) AS hop, length(path) AS depth
WITH DISTINCT hop, depth, endNode(hop) AS referee
ORDER BY depth, hop.at, referee.id
LIMIT $maxNodes
RETURN startNode(hop).id AS referrer, referee.id AS referee, depth,
       hop.mechanism AS mechanism, hop.at AS at, hop.evidence AS evidence,
       EXISTS { (referee)-[:HAD]->(:Order) } AS converted
"""
