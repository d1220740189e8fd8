"""Loading into Neo4j is idempotent and writes the evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import neo4j
import pytest

from api import pipeline
from graph import schema
from linkage import settings as linkage_settings
from ontology.model import default as default_ontology
from tests.conftest import HANDMADE

pytestmark = pytest.mark.neo4j


def _snapshot(
    driver: neo4j.Driver,
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[str]]:
    labels, _, _ = driver.execute_query(
        "MATCH (n) UNWIND labels(n) AS l RETURN l, count(*) AS c ORDER BY l"
    )
    rels, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c ORDER BY t"
    )
    # Every relationship with its endpoints' keys and its properties: a full fingerprint.
    edges, _, _ = driver.execute_query(
        """
        MATCH (a)-[r]->(b)
        WITH coalesce(a.id, a.sourceId, a.vin, a.code, a.value) AS ak, type(r) AS t,
             coalesce(b.id, b.sourceId, b.vin, b.code, b.value) AS bk, properties(r) AS p
        RETURN ak, t, bk, p
        """
    )
    return (
        [(r["l"], r["c"]) for r in labels],
        [(r["t"], r["c"]) for r in rels],
        sorted(f"{r['ak']} {r['t']} {r['bk']} {sorted(r['p'].items())}" for r in edges),
    )


def test_loading_twice_gives_the_same_graph(clean_graph: neo4j.Driver) -> None:
    first = pipeline.run(clean_graph, HANDMADE)
    snap1 = _snapshot(clean_graph)
    second = pipeline.run(clean_graph, HANDMADE)
    assert _snapshot(clean_graph) == snap1
    assert (first.records, first.persons) == (second.records, second.persons) == (19, 8)
    labels = dict(snap1[0])
    assert labels["Person"] == 8
    assert labels["SourceRecord"] == 19
    assert second.removed_persons == 0
    # The first run trained the model; the second scored with the stored one.
    assert (first.trained, second.trained) == (True, False)
    assert pipeline.run(clean_graph, HANDMADE, retrain=True).trained


def test_every_record_resolves_to_exactly_one_person(clean_graph: neo4j.Driver) -> None:
    pipeline.run(clean_graph, HANDMADE)
    records, _, _ = clean_graph.execute_query(
        "MATCH (s:SourceRecord) RETURN s.sourceId AS id, count{ (s)-[:RESOLVED_TO]->(:Person) } AS n"
    )
    assert records and all(r["n"] == 1 for r in records)
    bellini, _, _ = clean_graph.execute_query(
        """
        MATCH (s:SourceRecord {source: 'owner_app', sourceId: 'u-5f2c'})-[r:RESOLVED_TO]->(p:Person)
        RETURN r.rule AS rule, r.matchedValue AS value, r.rulesetVersion AS version,
               [(p)-[:OWNS]->(v) | v.vin] AS vins, [(p)-[:PREFERS_DEALER]->(d) | d.code] AS dealers
        """
    )
    assert bellini[0].data() == {
        "rule": "same_mobile_same_given_name",
        "value": "+393315551234",
        "version": linkage_settings.default().version,
        "vins": ["ZVLS950A7RM012345"],
        "dealers": ["IT-003"],
    }


def test_schema_is_applied_idempotently(clean_graph: neo4j.Driver) -> None:
    model = default_ontology()
    assert schema.apply_schema(clean_graph, model) == schema.apply_schema(
        clean_graph, model
    )
    names, _, _ = clean_graph.execute_query(
        "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS n"
    )
    assert {"person_id", "source_record_key", "vehicle_vin", "dealer_code"} <= set(
        names[0]["n"]
    )
    with pytest.raises(neo4j.exceptions.ConstraintError):
        clean_graph.execute_query("CREATE (:Vehicle {vin: 'X'}), (:Vehicle {vin: 'X'})")


def test_a_record_moving_to_another_person_leaves_no_orphan(
    clean_graph: neo4j.Driver, tmp_path: Path
) -> None:
    pipeline.run(clean_graph, HANDMADE)
    # Bellini's dealer record joins his cluster through its phone; without it (and with
    # the ticketing record's email changed) it becomes a person of its own.
    data = tmp_path / "handmade"
    shutil.copytree(HANDMADE.parent, data)
    crm = data / "dealer_crm.jsonl"
    crm.write_text(
        crm.read_text(encoding="utf-8").replace('"331 555 1234"', "null"),
        encoding="utf-8",
    )
    result = pipeline.run(clean_graph, data / "sources.toml")
    assert result.persons == 9
    orphans, _, _ = clean_graph.execute_query(
        "MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-() RETURN count(p) AS n"
    )
    assert orphans[0]["n"] == 0
    persons, _, _ = clean_graph.execute_query("MATCH (p:Person) RETURN count(p) AS n")
    assert persons[0]["n"] == 9


def test_rows_violating_a_shape_are_quarantined_not_written(
    clean_graph: neo4j.Driver, tmp_path: Path
) -> None:
    data = tmp_path / "handmade"
    shutil.copytree(HANDMADE.parent, data)
    clubs = data / "reference" / "clubs.csv"
    clubs.write_text(
        clubs.read_text(encoding="utf-8") + "VOC-XX,VOC Nowhere,ZZ-999\n",
        encoding="utf-8",
    )
    regs = data / "club_registration.jsonl"
    regs.write_text(
        regs.read_text(encoding="utf-8").replace(
            '"status": "active"}]}\n', '"status": "expired"}]}\n', 1
        ),
        encoding="utf-8",
    )
    result = pipeline.run(clean_graph, data / "sources.toml")
    reasons = {(q.field, q.reason) for q in result.quarantined}
    # A club whose dealer does not exist breaks "a club is affiliated with exactly one dealer".
    assert ("affiliatedWith", "ClubShape: is required") in reasons
    # A membership status outside the ontology's enumeration.
    assert (
        "membershipStatus",
        "ClubMembershipShape: not one of active, lapsed, suspended",
    ) in reasons
    stray, _, _ = clean_graph.execute_query(
        "OPTIONAL MATCH (c:Club {code: 'VOC-XX'}) OPTIONAL MATCH ()-[m:MEMBER_OF {membershipStatus: 'expired'}]->() "
        "RETURN count(c) AS clubs, count(m) AS memberships"
    )
    assert stray[0].data() == {"clubs": 0, "memberships": 0}
    # The record itself is fine and still loads; only the membership was held back.
    kept, _, _ = clean_graph.execute_query(
        "MATCH (s:SourceRecord {sourceId: 'VOC-LN/117'}) RETURN count(s) AS n"
    )
    assert kept[0]["n"] == 1
