"""Batched, idempotent writes: ``UNWIND $rows ... MERGE`` on the stable keys.

Rows are plain dicts, so this module needs no linkage types; ``api`` turns a resolution
into rows. Loading the same rows twice gives the same graph: nodes are merged on their keys,
and a person's derived relationships are replaced, not added to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sized
from itertools import islice
from typing import Any, LiteralString

import neo4j

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]

BATCH_SIZE = 1000

# Property maps (``props``) were validated and coerced against the ontology's shapes by the
# caller; these queries only place them, merging on each class's key.
REFERENCE: dict[str, LiteralString] = {
    "countries": """
        UNWIND $rows AS r
        MERGE (c:Country {code: r.props.code}) SET c += r.props
        WITH c, r WHERE r.region IS NOT NULL
        MERGE (g:Region {code: r.region})
        MERGE (c)-[:IN_REGION]->(g)""",
    "dealers": """
        UNWIND $rows AS r
        MERGE (d:Dealer {code: r.props.code}) SET d += r.props
        WITH d, r
        MATCH (c:Country {code: r.country})
        MERGE (d)-[:IN_COUNTRY]->(c)""",
    "clubs": """
        UNWIND $rows AS r
        MERGE (c:Club {code: r.props.code}) SET c += r.props
        WITH c, r
        MATCH (d:Dealer {code: r.dealer})
        MERGE (c)-[:AFFILIATED_WITH]->(d)""",
    "models": """
        UNWIND $rows AS r
        MERGE (m:Model {code: r.props.code}) SET m += r.props""",
    "events": """
        UNWIND $rows AS r
        MERGE (e:Event {id: r.props.id}) SET e += r.props
        WITH e, r
        CALL (e, r) {
          WITH e, r WHERE r.dealer IS NOT NULL
          MATCH (d:Dealer {code: r.dealer})
          MERGE (e)-[:HOSTED_BY]->(d)
        }
        CALL (e, r) {
          WITH e, r WHERE r.club IS NOT NULL
          MATCH (c:Club {code: r.club})
          MERGE (e)-[:ORGANISED_BY_CLUB]->(c)
        }""",
}

_RECORDS: LiteralString = """
UNWIND rows AS r
MERGE (s:SourceRecord {source: r.source, sourceId: r.sourceId})
SET s = r.props
WITH s, r
CALL (s, r) {
  OPTIONAL MATCH (s)-[old:HAS_CONTACT_POINT]->(c)
  WHERE NOT coalesce((c:Email AND c.value = r.email) OR (c:Phone AND c.value = r.phone), false)
  DELETE old
}
CALL (s, r) {
  WITH s, r WHERE r.email IS NOT NULL
  MERGE (e:Email:ContactPoint {value: r.email})
  MERGE (s)-[u:HAS_CONTACT_POINT]->(e) SET u = r.emailUse
}
CALL (s, r) {
  WITH s, r WHERE r.phone IS NOT NULL
  MERGE (p:Phone:ContactPoint {value: r.phone})
  MERGE (s)-[u:HAS_CONTACT_POINT]->(p) SET u = r.phoneUse
}
CALL (s, r) {
  OPTIONAL MATCH (s)-[:STATED_CONSENT]->(old:Consent)
  WHERE NOT old.consentKey IN [c IN r.consents | c.props.consentKey]
  DETACH DELETE old
}
CALL (s, r) {
  UNWIND r.consents AS c
  MERGE (k:Consent {consentKey: c.props.consentKey}) SET k = c.props
  MERGE (s)-[:STATED_CONSENT]->(k)
  WITH k, c
  CALL (k, c) {
    WITH k, c WHERE c.email IS NOT NULL
    MATCH (e:Email {value: c.email})
    MERGE (e)-[:HAS_CONSENT]->(k)
  }
  CALL (k, c) {
    WITH k, c WHERE c.phone IS NOT NULL
    MATCH (p:Phone {value: c.phone})
    MERGE (p)-[:HAS_CONSENT]->(k)
  }
}
CALL (s, r) {
  OPTIONAL MATCH (s)-[old:IN_BLOCK]->(b)
  WHERE NOT b.blockKey IN r.blocks
  DELETE old
}
CALL (s, r) {
  UNWIND r.blocks AS k
  MERGE (b:BlockingKey {blockKey: k})
  MERGE (s)-[:IN_BLOCK]->(b)
}
"""

# The golden record replaces the person's properties, except those computed over the whole
# graph after a batch (referral influence, RFM and CLV): an incremental update keeps them
# until the next batch recomputes them. The lifecycle stage is derived again by the caller.
# Only what changed is written: a property set to the value it has, or a relationship kept
# (not deleted and created again), costs the commit nothing.
_PERSONS: LiteralString = """
UNWIND rows AS r
MERGE (p:Person {id: r.id})
WITH r, p, [k IN keys(p) WHERE NOT k IN keys(r.props) AND NOT k IN [
  'referralDescendants', 'referralConversions', 'referralInfluence', 'daysSincePurchase',
  'purchasesInWindow', 'spendInWindow', 'rfmRecency', 'rfmFrequency', 'rfmMonetary',
  'rfmLabel', 'clv', 'valueScoredAt', 'valueModel', 'lifecycleStage']] AS stale
FOREACH (k IN stale | REMOVE p[k])
SET p += r.props
WITH p, r
CALL (p, r) {
  // (A household membership always goes: the caller writes the households again.)
  OPTIONAL MATCH (p)-[old:OWNS|MEMBER_OF|PREFERS_DEALER|IN_HOUSEHOLD]->(x)
  WHERE NOT coalesce(
    (type(old) = 'OWNS' AND x.vin IN [v IN r.vehicles | v.vin])
    OR (type(old) = 'MEMBER_OF' AND x.code IN [c IN r.clubs | c.club])
    OR (type(old) = 'PREFERS_DEALER' AND x.code = r.preferredDealer), false)
  DELETE old
}
CALL (p, r) {
  UNWIND r.links AS link
  MATCH (s:SourceRecord {source: link.source, sourceId: link.sourceId})
  OPTIONAL MATCH (s)-[stale:RESOLVED_TO]->(other:Person) WHERE other <> p
  DELETE stale
  MERGE (s)-[rt:RESOLVED_TO]->(p)
  WITH rt, link.props AS props
  SET rt = props {.*, at: coalesce(rt.at, props.at)}  // when the record first resolved here
}
CALL (p, r) {
  UNWIND r.vehicles AS v
  MERGE (veh:Vehicle {vin: v.vin})
  WITH p, v, veh
  CALL (veh, v) {
    WITH veh, v WHERE v.model IS NOT NULL
    MATCH (m:Model {code: v.model})
    MERGE (veh)-[:OF_MODEL]->(m)
  }
  MERGE (p)-[o:OWNS]->(veh)
  SET o = v.props
}
CALL (p, r) {
  UNWIND r.clubs AS c
  MATCH (club:Club {code: c.club})
  MERGE (p)-[m:MEMBER_OF]->(club)
  SET m = c.props
}
CALL (p, r) {
  WITH p, r WHERE r.preferredDealer IS NOT NULL
  MATCH (d:Dealer {code: r.preferredDealer})
  MERGE (p)-[:PREFERS_DEALER]->(d)
}
"""

RECORDS: LiteralString = "WITH $rows AS rows" + _RECORDS
PERSONS: LiteralString = "WITH $rows AS rows" + _PERSONS
# Incremental resolution: a record ($records) and its customers ($persons) in one round trip.
RECORD_AND_PERSONS: LiteralString = (
    "CALL () {\nWITH $records AS rows"
    + _RECORDS
    + "}\nCALL () {\nWITH $persons AS rows"
    + _PERSONS
    + "}"
)

# A person whose records all moved to other persons is gone, not left empty.
PRUNE_ORPHANS: LiteralString = """
MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-()
DETACH DELETE p
RETURN count(*) AS removed
"""

# A blocking key no record has any more.
PRUNE_BLOCKS: LiteralString = """
MATCH (b:BlockingKey) WHERE NOT (b)<-[:IN_BLOCK]-()
CALL (b) { DELETE b } IN TRANSACTIONS OF 10000 ROWS
"""


def as_text(value: Any) -> str | None:
    """A value read back from Neo4j as the text a row is written with: the driver's dates
    (``neo4j.time.Date``) would fail validation when the row is written again."""
    if value is None:
        return None
    iso = getattr(value, "iso_format", None)
    return str(iso()) if callable(iso) else str(value)


def load_rows(
    target: neo4j.Driver | neo4j.ManagedTransaction,
    query: LiteralString,
    rows: Iterable[Row],
    *,
    what: str,
    progress: Progress | None = None,
    database: str = "neo4j",
    batch_size: int = BATCH_SIZE,
    total: int | None = None,
) -> int:
    """Run ``query`` over ``rows`` in batches: each its own retried transaction on a
    driver, or all inside ``target`` when it is a transaction (that commits them whole).

    ``rows`` may be a stream; ``total`` (default ``len(rows)``) is for progress only."""
    if total is None:
        total = len(rows) if isinstance(rows, Sized) else 0
    done = 0
    if progress:
        progress(what, 0, total)
    it = iter(rows)
    while batch := list(islice(it, batch_size)):
        if isinstance(target, neo4j.Driver):
            target.execute_query(query, rows=batch, database_=database)
        else:
            target.run(query, rows=batch).consume()
        done += len(batch)
        if progress:
            progress(what, done, max(total, done))
    return done


def prune_orphans(driver: neo4j.Driver, database: str = "neo4j") -> int:
    records, _, _ = driver.execute_query(PRUNE_ORPHANS, database_=database)
    with driver.session(database=database) as session:
        session.run(
            PRUNE_BLOCKS
        ).consume()  # CALL IN TRANSACTIONS needs an implicit one
    return int(records[0]["removed"])


def read(
    target: neo4j.Driver | neo4j.ManagedTransaction,
    query: LiteralString,
    database: str = "neo4j",
) -> list[dict[str, Any]]:
    """The rows of ``query``: its own retried transaction on a driver, or inside
    ``target`` when it is a transaction (so it sees that transaction's writes)."""
    if isinstance(target, neo4j.Driver):
        records, _, _ = target.execute_query(query, database_=database)
        return [r.data() for r in records]
    return target.run(query).data()
