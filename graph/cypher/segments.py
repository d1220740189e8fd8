"""Segment nodes, membership counts and the reads the API makes (the per-segment rule
queries are compiled from graph/segments.toml by ``graph.segment_compile``)."""

from __future__ import annotations

from typing import LiteralString

UPSERT: LiteralString = """
UNWIND $rows AS r
MERGE (s:Segment {id: r.id})
SET s.name = r.name, s.segmentKind = r.kind, s.ruleVersion = r.version,
    s.definition = r.definition, s.description = r.description
"""

# A segment no longer in the definitions file ends every open membership.
RETIRE: LiteralString = """
MATCH (s:Segment) WHERE NOT s.id IN $ids
OPTIONAL MATCH (s)<-[m:IN_SEGMENT]-() WHERE m.until IS NULL
SET m.until = date($asOf), m.evaluatedAt = $asOf, s.memberCount = 0
"""

# Whether a static segment already holds its snapshot under this rule version (read
# before UPSERT writes the new version).
FROZEN: LiteralString = """
MATCH (s:Segment {id: $segment})
RETURN s.evaluatedAt IS NOT NULL AND s.ruleVersion = $version AS frozen
"""

COUNT: LiteralString = """
MATCH (s:Segment {id: $segment})
SET s.memberCount = COUNT { (s)<-[m:IN_SEGMENT]-() WHERE m.until IS NULL },
    s.evaluatedAt = $asOf
RETURN s.memberCount AS members
"""

COUNT_ALL: LiteralString = """
MATCH (s:Segment)
SET s.memberCount = COUNT { (s)<-[m:IN_SEGMENT]-() WHERE m.until IS NULL }
"""

# A segment's current members (graph.compile.compile_page orders and pages them by id):
# expanded from the segment, then sorted; every member is read, whatever the page.
MEMBERS_MATCH: LiteralString = """
MATCH (s:Segment {id: $segment})<-[m:IN_SEGMENT]-(n:Person)
WHERE m.until IS NULL"""

# The same members found the other way round: people in id order (the Person.id index
# gives it), each tested for a current membership, until the page is full. Cheaper when
# the segment is a large share of all people and the page near the start
# (``api.segments``: the first page of 15,000 members of 112,000 people read about 1,800
# entries instead of 60,000).
MEMBERS_BY_ID: LiteralString = """
MATCH (n:Person) WHERE n.id IS NOT NULL
  AND EXISTS { (n)-[m:IN_SEGMENT]->(:Segment {id: $segment}) WHERE m.until IS NULL }"""

# The member count and the number of people: which of the two matches is cheaper.
MEMBERS_AND_PEOPLE: LiteralString = """
MATCH (s:Segment {id: $segment})
RETURN coalesce(s.memberCount, 0) AS total, COUNT { (:Person) } AS people
"""

# The stored count: every transaction that opens or ends memberships moves it (a
# refresh recounts, an incremental update and an erasure add and subtract), so it agrees
# with the pages without reading each membership (a live count of 15,000 members cost
# 29 ms of Neo4j CPU, a quarter of the mixed API workload's).
SEGMENT_COUNT: LiteralString = """
MATCH (s:Segment {id: $segment}) RETURN coalesce(s.memberCount, 0) AS total
"""

# People an incremental update absorbs into others leave their segments' counts (their
# memberships go with them).
DEPART: LiteralString = """
MATCH (p:Person)-[m:IN_SEGMENT]->(s:Segment)
WHERE p.id IN $ids AND m.until IS NULL AND NOT (p)<-[:RESOLVED_TO]-()
WITH s, count(m) AS gone
SET s.memberCount = s.memberCount - gone
"""

LIST: LiteralString = """
MATCH (s:Segment)
RETURN s.id AS id, s.name AS name, s.segmentKind AS kind, s.ruleVersion AS version,
       coalesce(s.memberCount, 0) AS members, s.evaluatedAt AS evaluatedAt
ORDER BY s.id
"""
