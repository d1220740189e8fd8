"""Cypher of incremental resolution: a record's candidate customers, read by index.

Candidates are the persons of the records that share a blocking key with the new record
(``BlockingKey`` nodes, unique-indexed), plus the record's own person when it is a changed
record. A key shared by more than ``maxBlock`` records is junk (the batch skips it too), and
at most ``maxCandidates`` persons are read, so one record never reads a large part of the
graph.
"""

from __future__ import annotations

from typing import LiteralString

from graph import load

CANDIDATES: LiteralString = """
CALL () {
  UNWIND $keys AS k
  MATCH (b:BlockingKey {blockKey: k})
  WHERE COUNT { (b)<-[:IN_BLOCK]-() } <= $maxBlock
  MATCH (b)<-[:IN_BLOCK]-(:SourceRecord)-[:RESOLVED_TO]->(p:Person)
  RETURN p
  UNION
  MATCH (:SourceRecord {source: $source, sourceId: $sourceId})-[:RESOLVED_TO]->(p:Person)
  RETURN p
}
WITH DISTINCT p LIMIT $maxCandidates
RETURN p.id AS id,
       coalesce(p.formerIds, []) AS formerIds,
       [(p)<-[r:RESOLVED_TO]-(s:SourceRecord) |
         {record: properties(s),
          link: r {.rule, .matchedSource, .matchedSourceId, .matchedValue, .matchScore}}]
         AS records,
       [(p)-[o:OWNS]->(v:Vehicle) |
         {vin: v.vin, model: head([(v)-[:OF_MODEL]->(m:Model) | m.code]), props: properties(o)}]
         AS vehicles,
       [(p)-[m:MEMBER_OF]->(c:Club) | {club: c.code, props: properties(m)}] AS clubs,
       [(p)-[m:IN_HOUSEHOLD]->(h:Household) | {id: h.id, props: properties(m)}] AS households,
       [(p)-[:HAD]->(:Touchpoint)-[:AT_EVENT]->(e:Event) | e.id] AS events
"""

# The write of the record before ($records, $persons), then this record's candidates: one
# round trip a record when several share a transaction.
WRITE_THEN_CANDIDATES: LiteralString = (
    "CALL () {\n" + load.RECORD_AND_PERSONS + "\n}\n" + CANDIDATES
)

# Persons merged into another, or left without records, are removed.
REMOVE_PERSONS: LiteralString = """
MATCH (p:Person) WHERE p.id IN $ids AND NOT (p)<-[:RESOLVED_TO]-()
DETACH DELETE p
"""
