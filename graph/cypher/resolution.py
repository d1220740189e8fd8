"""Identity-resolution state in the graph: who resolved where, evidence, decisions, the model.

The graph is the system of record for resolution: the previous assignment (so IDs stay
stable), the manual decisions (so they survive re-runs), the trained model (so incremental
runs and explanations score the same way) and the pairwise evidence (so ``why`` can answer
from what was decided, not from a re-computation).
"""

from __future__ import annotations

import json
from typing import Any, LiteralString

import neo4j

Key = tuple[str, str]

PREVIOUS: LiteralString = """
MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person)
RETURN s.source AS source, s.sourceId AS sourceId, p.id AS id
"""

DECISIONS: LiteralString = """
MATCH (d:LinkDecision)
RETURN d.decision AS decision, d.records AS records, coalesce(d.apartFrom, []) AS apart
ORDER BY d.at, d.id
"""

SAVE_DECISION: LiteralString = """
CREATE (d:LinkDecision) SET d = $props
"""

# ``at`` moves only when the model changes, so an unchanged re-run leaves the graph as it was.
SAVE_MODEL: LiteralString = """
MERGE (m:LinkageModel {version: $props.version})
WITH m, CASE WHEN m.modelJson = $props.modelJson THEN m.at ELSE $props.at END AS at
SET m = $props
SET m.at = at
"""

MODEL: LiteralString = """
MATCH (m:LinkageModel) WHERE $version IS NULL OR m.version = $version
RETURN m.modelJson AS json ORDER BY m.at DESC LIMIT 1
"""

# Evidence of a batch run replaces the previous run's, in bounded transactions.
CLEAR_EVIDENCE: LiteralString = """
MATCH ()-[m:MATCHED]->()
CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS
"""

EVIDENCE: LiteralString = """
UNWIND $rows AS r
MATCH (a:SourceRecord {source: r.a[0], sourceId: r.a[1]})
MATCH (b:SourceRecord {source: r.b[0], sourceId: r.b[1]})
MERGE (a)-[m:MATCHED]->(b)
SET m = r.props
"""

HOUSEHOLDS: LiteralString = """
UNWIND $rows AS r
MERGE (h:Household {id: r.id})
WITH h, r
UNWIND r.members AS member
MATCH (p:Person {id: member.id})
MERGE (p)-[m:IN_HOUSEHOLD]->(h)
SET m = member.props
"""

PRUNE_HOUSEHOLDS: LiteralString = """
MATCH (h:Household) WHERE NOT (h)<-[:IN_HOUSEHOLD]-()
DETACH DELETE h
"""

FORMER_IDS: LiteralString = """
MATCH (p:Person) WHERE p.formerIds IS NOT NULL RETURN p.id AS id, p.formerIds AS former
"""

# The other records of the customer a record resolved to; [] when it resolved nowhere.
CUSTOMER_RECORDS: LiteralString = """
MATCH (:SourceRecord {source: $key[0], sourceId: $key[1]})-[:RESOLVED_TO]->(p:Person)
MATCH (o:SourceRecord)-[:RESOLVED_TO]->(p)
RETURN collect([o.source, o.sourceId]) AS members
"""

MISSING_RECORDS: LiteralString = """
UNWIND $keys AS key
OPTIONAL MATCH (s:SourceRecord {source: key[0], sourceId: key[1]})
WITH key, s WHERE s IS NULL
RETURN collect(key) AS missing
"""

# What lives on a person ``p`` that its records state (``statedBy``), as
# ``api.pipeline.record_from_props`` gives each record back its own: pattern comprehensions.
VEHICLES: LiteralString = """[(p)-[o:OWNS]->(v:Vehicle) |
      {vin: v.vin, model: head([(v)-[:OF_MODEL]->(m:Model) | m.code]), props: properties(o)}]"""
CLUBS: LiteralString = (
    "[(p)-[m:MEMBER_OF]->(c:Club) | {club: c.code, props: properties(m)}]"
)

# The vehicles and clubs of the persons of these records.
CLAIMS: LiteralString = (
    """
UNWIND $keys AS k
MATCH (:SourceRecord {source: k[0], sourceId: k[1]})-[:RESOLVED_TO]->(p:Person)
RETURN k, """
    + VEHICLES
    + " AS vehicles, "
    + CLUBS
    + " AS clubs"
)

PAIR: LiteralString = """
MATCH (a:SourceRecord {source: $a[0], sourceId: $a[1]})
MATCH (b:SourceRecord {source: $b[0], sourceId: $b[1]})
OPTIONAL MATCH (a)-[ra:RESOLVED_TO]->(pa:Person)
OPTIONAL MATCH (b)-[rb:RESOLVED_TO]->(pb:Person)
OPTIONAL MATCH (a)-[m:MATCHED]-(b)
WITH a, b, pa, pb, ra, rb, m, $a[0] + '/' + $a[1] AS ka, $b[0] + '/' + $b[1] AS kb
OPTIONAL MATCH (d:LinkDecision)
WHERE any(k IN d.records + coalesce(d.apartFrom, []) WHERE k IN [ka, kb])
WITH a, b, pa, pb, ra, rb, m, collect(properties(d)) AS decisions
RETURN properties(a) AS a, properties(b) AS b, pa.id AS personA, pb.id AS personB,
       properties(ra) AS resolutionA, properties(rb) AS resolutionB,
       properties(m) AS evidence, decisions
"""

# The chain of linked evidence that joins two records of one person (bounded).
CHAIN: LiteralString = """
MATCH (a:SourceRecord {source: $a[0], sourceId: $a[1]})
MATCH (b:SourceRecord {source: $b[0], sourceId: $b[1]})
MATCH path = shortestPath((a)-[:MATCHED*..12]-(b))
WHERE all(m IN relationships(path) WHERE m.decision = 'linked')
RETURN [n IN nodes(path) | [n.source, n.sourceId]] AS records,
       [m IN relationships(path) | properties(m)] AS steps
"""


def previous_assignment(driver: neo4j.Driver, database: str) -> dict[Key, str]:
    records, _, _ = driver.execute_query(PREVIOUS, database_=database)
    return {(r["source"], r["sourceId"]): r["id"] for r in records}


def decisions(
    driver: neo4j.Driver, database: str
) -> list[tuple[str, list[Key], list[Key]]]:
    """Manual decisions in the order taken: (decision, its records, records kept apart)."""
    records, _, _ = driver.execute_query(DECISIONS, database_=database)
    return [
        (r["decision"], [_key(k) for k in r["records"]], [_key(k) for k in r["apart"]])
        for r in records
    ]


def former_ids(driver: neo4j.Driver, database: str) -> dict[str, list[str]]:
    records, _, _ = driver.execute_query(FORMER_IDS, database_=database)
    return {r["id"]: list(r["former"]) for r in records}


def customer_records(driver: neo4j.Driver, database: str, key: Key) -> list[Key]:
    records, _, _ = driver.execute_query(
        CUSTOMER_RECORDS, key=list(key), database_=database
    )
    return [(str(s), str(i)) for s, i in records[0]["members"]] if records else []


def missing_records(driver: neo4j.Driver, database: str, keys: list[Key]) -> list[Key]:
    """The keys that name no SourceRecord in the graph (one query for all of them)."""
    records, _, _ = driver.execute_query(
        MISSING_RECORDS, keys=[list(k) for k in keys], database_=database
    )
    return [(str(s), str(i)) for s, i in records[0]["missing"]]


def save_decision(driver: neo4j.Driver, database: str, props: dict[str, Any]) -> None:
    driver.execute_query(SAVE_DECISION, props=props, database_=database)


def save_model(
    driver: neo4j.Driver, database: str, version: str, model: dict[str, Any], at: str
) -> None:
    props = {"version": version, "modelJson": json.dumps(model), "at": at}
    driver.execute_query(SAVE_MODEL, props=props, database_=database)


def model(
    driver: neo4j.Driver, database: str, version: str | None = None
) -> dict[str, Any] | None:
    """The latest trained model (of one settings version, if given)."""
    records, _, _ = driver.execute_query(MODEL, version=version, database_=database)
    return json.loads(records[0]["json"]) if records else None


def clear_evidence(driver: neo4j.Driver, database: str) -> None:
    with driver.session(database=database) as session:
        session.run(CLEAR_EVIDENCE).consume()


def prune_households(driver: neo4j.Driver, database: str) -> None:
    driver.execute_query(PRUNE_HOUSEHOLDS, database_=database)


def pair(driver: neo4j.Driver, database: str, a: Key, b: Key) -> dict[str, Any] | None:
    """Both records, their people, their resolution links and any direct evidence."""
    records, _, _ = driver.execute_query(PAIR, a=list(a), b=list(b), database_=database)
    return dict(records[0]) if records else None


def claims(
    driver: neo4j.Driver, database: str, keys: list[Key]
) -> dict[Key, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Each record -> its person's vehicles and clubs (``VEHICLES``, ``CLUBS``)."""
    records, _, _ = driver.execute_query(
        CLAIMS, keys=[list(k) for k in keys], database_=database
    )
    return {(r["k"][0], r["k"][1]): (r["vehicles"], r["clubs"]) for r in records}


def chain(driver: neo4j.Driver, database: str, a: Key, b: Key) -> dict[str, Any] | None:
    records, _, _ = driver.execute_query(
        CHAIN, a=list(a), b=list(b), database_=database
    )
    return dict(records[0]) if records else None


def _key(text: str) -> Key:
    source, _, source_id = text.partition("/")
    return source, source_id
