"""Cypher of incremental resolution: the candidate customers of a transaction's records,
read by index in one query.

A record's candidates are the persons of the records that share a blocking key with it
(``BlockingKey`` nodes, unique-indexed), plus its own person when it is a changed record.
The records sharing a household key with one (``linkage.blocks.home_keys``) come back too,
as neighbours, with their persons' households: the transaction's end regroups them.
A key shared by more than ``maxBlock`` records is junk (the batch skips it too), and at
most ``maxCandidates`` persons are read a record, so one record never reads a large part of
the graph. Each person comes back once, with the records (by index in ``$reads``) that
asked for it, and the junk keys come back too: the records of the same transaction find
each other in Python (``linkage.incremental.Overlay``), through the keys that are not junk.

The query first takes the write lock of the stored model (setting and removing a property:
Neo4j's documented way to lock a node from Cypher), held until the transaction commits, so
loaders resolving at the same time take turns and each reads what the one before
committed: two of them cannot each make a customer for one person.
"""

from __future__ import annotations

from typing import LiteralString

from graph.cypher.resolution import CLUBS, VEHICLES

# A household of the person ``p`` in a pattern comprehension over ``h``: its ID and every
# member with the membership's evidence (the regrouping needs them whole).
_HOUSEHOLD: LiteralString = (
    "h {.id, members: [(h)<-[m:IN_HOUSEHOLD]-(x:Person) | "
    "{id: x.id, evidence: m.evidence}]}"
)

# A person as incremental resolution reads it (``api.incremental._candidate`` reads it
# back): its records with their RESOLVED_TO evidence and whether a batch held them out as
# ambiguous, what lives on the person (vehicles, clubs), its households and the events its
# touchpoints place it at. The fields of a map over ``p``.
_PERSON: LiteralString = (
    """
    id: p.id,
    formerIds: coalesce(p.formerIds, []),
    records: [(p)<-[r:RESOLVED_TO]-(s:SourceRecord) |
      {record: properties(s),
       link: r {.rule, .matchedSource, .matchedSourceId, .matchedValue, .matchScore},
       ambiguous: CASE WHEN s.givenName IS NULL
         THEN EXISTS { (s)-[m:MATCHED]-() WHERE m.decisionReason = $ambiguous }
         ELSE false END}],
    vehicles: """
    + VEHICLES
    + """,
    clubs: """
    + CLUBS
    + """,
    households: [(p)-[:IN_HOUSEHOLD]->(h:Household) | """
    + _HOUSEHOLD
    + """],
    events: [(p)-[:HAD]->(:Touchpoint)-[:AT_EVENT]->(e:Event) | e.id]
"""
)

# The stored model's write lock, held until the transaction ends: every transaction of an
# incremental run that reads the graph to decide what it writes takes it first.
LOCK: LiteralString = """
MATCH (m:LinkageModel {version: $version})
SET m._lock = true
REMOVE m._lock
"""

CANDIDATES: LiteralString = (
    "CALL () {"
    + LOCK
    + """}
CALL () {
  UNWIND $keys AS k
  MATCH (b:BlockingKey {blockKey: k})
  WHERE COUNT { (b)<-[:IN_BLOCK]-() } > $maxBlock
  RETURN collect(k) AS junk
}
CALL () {
  UNWIND range(0, size($reads) - 1) AS i
  CALL (i) {
    WITH $reads[i] AS r
    CALL (r) {
      UNWIND r.keys AS k
      MATCH (b:BlockingKey {blockKey: k})
      WHERE COUNT { (b)<-[:IN_BLOCK]-() } <= $maxBlock
      MATCH (b)<-[:IN_BLOCK]-(:SourceRecord)-[:RESOLVED_TO]->(p:Person)
      RETURN p
      UNION
      MATCH (:SourceRecord {source: r.source, sourceId: r.sourceId})-[:RESOLVED_TO]->(p:Person)
      RETURN p
    }
    WITH DISTINCT p LIMIT $maxCandidates
    RETURN p
  }
  WITH p, collect(i) AS wanted
  RETURN collect({
    wanted: wanted,"""
    + _PERSON
    + """  }) AS persons
}
CALL () {
  UNWIND range(0, size($reads) - 1) AS i
  UNWIND $reads[i].homes AS k
  MATCH (b:BlockingKey {blockKey: k})
  WHERE COUNT { (b)<-[:IN_BLOCK]-() } <= $maxBlock
  MATCH (b)<-[:IN_BLOCK]-(s:SourceRecord)-[:RESOLVED_TO]->(p:Person)
  RETURN collect({
    key: k, source: s.source, sourceId: s.sourceId, person: p.id,
    households: [(p)-[:IN_HOUSEHOLD]->(h:Household) | """
    + _HOUSEHOLD
    + """]
  }) AS neighbours
}
RETURN junk, persons, neighbours
"""
)

# The members of households a changed record's person was in, read whole, with the keys
# their records are stored under that are junk (shared by more than ``maxBlock`` records),
# and which of ``keys`` (the transaction's own household keys) are: the transaction's end
# finds out whether each household still holds together (``linkage.households.split``).
MEMBERS: LiteralString = (
    """
CALL () {
  UNWIND $ids AS id
  MATCH (p:Person {id: id})
  RETURN collect({
    junk: [(p)<-[:RESOLVED_TO]-(:SourceRecord)-[:IN_BLOCK]->(b:BlockingKey)
      WHERE COUNT { (b)<-[:IN_BLOCK]-() } > $maxBlock | b.blockKey],"""
    + _PERSON
    + """  }) AS persons
}
CALL () {
  UNWIND $keys AS k
  MATCH (b:BlockingKey {blockKey: k})
  WHERE COUNT { (b)<-[:IN_BLOCK]-() } > $maxBlock
  RETURN collect(k) AS junk
}
RETURN persons, junk
"""
)

# A customer merged into another (or left without records by one that moved to it) hands
# over what hangs off it from the sources, its touchpoints and the referrals it made and
# received, before it is removed. What the person write derives (vehicles, clubs, dealer,
# household) the survivor has of its own, and the segments are evaluated again.
HAND_OVER: LiteralString = """
UNWIND $moves AS m
MATCH (gone:Person {id: m.gone}), (into:Person {id: m.into})
CALL (gone, into) {
  MATCH (gone)-[:HAD]->(t)
  MERGE (into)-[:HAD]->(t)
}
CALL (gone, into) {
  MATCH (gone)-[r:REFERRED]->(x) WHERE x <> into
  MERGE (into)-[n:REFERRED]->(x) ON CREATE SET n = properties(r)
}
CALL (gone, into) {
  MATCH (x)-[r:REFERRED]->(gone) WHERE x <> into
  MERGE (x)-[n:REFERRED]->(into) ON CREATE SET n = properties(r)
}
"""

# A changed record that moved to another customer takes along the touchpoints whose rows
# named it (``viaRecord``). Those reached through a contact point or a VIN are decided again
# once the persons are written (``api.touchpoint_load.follow_contacts``, ``follow_vehicles``).
MOVE_TOUCHPOINTS: LiteralString = """
UNWIND $moves AS m
MATCH (from:Person {id: m.from})-[h:HAD]->(t:Touchpoint {viaRecord: m.record})
MATCH (into:Person {id: m.into})
DELETE h
MERGE (into)-[:HAD]->(t)
"""

# Persons merged into another, or left without records, are removed.
REMOVE_PERSONS: LiteralString = """
MATCH (p:Person) WHERE p.id IN $ids AND NOT (p)<-[:RESOLVED_TO]-()
DETACH DELETE p
"""

# Households the transaction's regrouping united into another, or left with one member.
REMOVE_HOUSEHOLDS: LiteralString = """
MATCH (h:Household) WHERE h.id IN $ids
DETACH DELETE h
"""
