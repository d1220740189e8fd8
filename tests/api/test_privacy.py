"""Right of access and erasure on generated data: an export holds everything about the
customer; an erasure removes the whole identity cluster, leaves only keyed hashes, keeps
every other customer as it was, and a later import (batch or incremental) of the same
source records resurrects nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import neo4j
import pytest

from api import incremental, pipeline
from graph import privacy
from graph.connection import Neo4jSettings
from linkage.settings import default as default_settings
from linkage.tombstones import SUPPRESSED
from ontology.model import default as default_ontology
from tests.api.conftest import customer_of
from tests.conftest import cli_env, run_cli

KEY = b"a test privacy key"


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_PRIVACY_KEY", KEY.decode())


def _subject(driver: neo4j.Driver, db: str) -> str:
    """A customer with several records, a web form (consent), touchpoints and segments."""
    rows, _, _ = driver.execute_query(
        """
        MATCH (p:Person)<-[:RESOLVED_TO]-(s:SourceRecord {source: 'web_form'})
        WHERE COUNT { (p)<-[:RESOLVED_TO]-() } >= 3 AND COUNT { (p)-[:HAD]->() } >= 3
          AND COUNT { (p)-[:IN_SEGMENT]->() } >= 1 AND size(p.emails) >= 1
        RETURN DISTINCT p.id AS id ORDER BY id LIMIT 1
        """,
        database_=db,
    )
    return str(rows[0]["id"])


def _held(driver: neo4j.Driver, db: str, pid: str) -> dict[str, Any]:
    rows, _, _ = driver.execute_query(
        """
        MATCH (p:Person {id: $id})
        RETURN [(p)<-[:RESOLVED_TO]-(s) | s.source + '/' + s.sourceId] AS records,
          [(p)-[:HAD]->(t) | t.source + '/' + t.sourceId] AS touchpoints,
          [(p)<-[:RESOLVED_TO]-()-[:STATED_CONSENT]->(c) | c.consentKey] AS consents,
          p.emails AS emails, p.phones AS phones,
          [x IN [p.givenName, p.familyName] WHERE x IS NOT NULL AND size(x) > 3] AS names,
          [(p)<-[:RESOLVED_TO]-(s)-[:HAS_CONTACT_POINT]->(c)
             WHERE NOT EXISTS { (c)<-[:HAS_CONTACT_POINT]-(o) WHERE NOT (o)-[:RESOLVED_TO]->(p) }
             | c.value] AS own_contacts
        """,
        id=pid,
        database_=db,
    )
    return dict(rows[0])


def _segment_counts_agree(driver: neo4j.Driver, db: str) -> None:
    rows, _, _ = driver.execute_query(
        "MATCH (s:Segment) RETURN s.id AS id, s.memberCount AS stored, "
        "COUNT { (s)<-[m:IN_SEGMENT]-() WHERE m.until IS NULL } AS live",
        database_=db,
    )
    assert all(r["stored"] == r["live"] for r in rows), [dict(r) for r in rows]


def test_export_holds_everything_about_the_customer(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    pid = _subject(driver, db)
    held = _held(driver, db, pid)
    data = privacy.export(driver, db, pid, KEY, "officer", "access request 17")
    assert data["person"]["id"] == pid
    assert [
        f"{r['record']['source']}/{r['record']['sourceId']}"
        for r in data["sourceRecords"]
    ] == sorted(held["records"])
    assert sorted(
        f"{t['properties']['source']}/{t['properties']['sourceId']}"
        for t in data["touchpoints"]
    ) == sorted(held["touchpoints"])
    assert sorted(
        c["consentKey"] for r in data["sourceRecords"] for c in r["consents"]
    ) == sorted(held["consents"])
    kinds = {r["relationship"] for r in data["relationships"]}
    assert "IN_SEGMENT" in kinds
    json.dumps(data)  # JSON-ready: temporals are text
    # The export is itself in the audit trail, found by the customer's keyed hash only.
    assert data["exportAudit"]["subject"] == privacy.subject(KEY, pid) != pid
    entries = privacy.trail(driver, db, KEY, pid)
    assert [(e["action"], e["actor"]) for e in entries if e["action"] != "consent"] == [
        ("export", "officer")
    ]
    assert pid not in json.dumps(entries)
    # The trail also lists the customer's consent statements, as changes of consent.
    consents = [e for e in entries if e["action"] == "consent"]
    assert sorted(e["id"] for e in consents) == sorted(held["consents"])


def test_erasure_removes_the_cluster_and_nothing_comes_back(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    tmp_path: Path,
) -> None:
    db = neo4j_settings.database
    pid = _subject(driver, db)
    held = _held(driver, db, pid)
    others_before = {
        k: v for k, v in customer_of(driver, db).items() if k not in held["records"]
    }

    done = privacy.erase(driver, db, pid, KEY, "officer", "erasure request 18")
    assert done.removed["persons"] == 1
    assert done.removed["source records"] == len(held["records"])
    assert done.removed["touchpoints"] == len(held["touchpoints"])
    assert done.removed["consent statements"] == len(held["consents"]) > 0
    identifiers = [
        pid,
        *held["records"],
        *held["emails"],
        *held["phones"],
        *held["names"],
        *(r.split("/", 1)[1] for r in held["records"]),
    ]
    _nothing_left(driver, db, pid, held, identifiers)
    assert customer_of(driver, db) == others_before  # every other customer as it was
    _segment_counts_agree(driver, db)
    [entry] = [e for e in privacy.trail(driver, db, KEY, pid) if e["action"] == "erase"]
    assert json.loads(entry["detail"])["tombstones"] == done.tombstones

    # A batch import of the same extracts resurrects nothing and loses nobody else.
    again = pipeline.run(driver, data / "sources.toml", database=db)
    _nothing_left(driver, db, pid, held, identifiers)
    assert customer_of(driver, db) == others_before
    suppressed = {
        q.location: int(q.value) for q in again.quarantined if q.reason == SUPPRESSED
    }
    assert suppressed["source records"] == len(held["records"])
    # Touchpoints that named the person's records or own contact points are suppressed;
    # one that reaches a person only through a vehicle (a service visit by VIN) finds no
    # owner now and is quarantined as such (vehicles change hands: a VIN is no tombstone).
    assert 0 < suppressed["touchpoints"] <= len(held["touchpoints"])
    text = "\n".join(str(q) for q in again.quarantined)
    assert not [i for i in identifiers if i in text]  # the report names none of them
    _segment_counts_agree(driver, db)

    # So does an incremental load of one of its records.
    web = next(r for r in held["records"] if r.startswith("web_form/"))
    form = next(
        line
        for line in (data / "web_forms.jsonl").read_text().splitlines()
        if json.loads(line)["submission_id"] == web.split("/", 1)[1]
    )
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "web_forms.jsonl").write_text(form + "\n", encoding="utf-8")
    text = (data / "sources.toml").read_text(encoding="utf-8")
    block = text[text.index('[[source]]\nname = "web_form"') :]
    block = block[: block.find("\n[[source]]", 1) + 1 or None]
    (delta / "sources.toml").write_text("version = 1\n\n" + block, encoding="utf-8")
    result = incremental.run(
        driver, delta / "sources.toml", default_ontology(), default_settings(), db
    )
    assert result.outcomes.get("suppressed") == 1
    _nothing_left(driver, db, pid, held, identifiers)


def _nothing_left(
    driver: neo4j.Driver,
    db: str,
    pid: str,
    held: dict[str, Any],
    identifiers: list[str],
) -> None:
    rows, _, _ = driver.execute_query(
        """
        RETURN COUNT { (:Person {id: $id}) } AS person,
          COUNT { MATCH (s:SourceRecord) WHERE s.source + '/' + s.sourceId IN $records } AS records,
          COUNT { MATCH (t:Touchpoint) WHERE t.source + '/' + t.sourceId IN $touchpoints } AS touchpoints,
          COUNT { MATCH (c:Consent) WHERE c.consentKey IN $consents } AS consents,
          COUNT { MATCH (c:ContactPoint) WHERE c.value IN $contacts } AS contacts,
          COUNT { MATCH (p:Person) WHERE any(e IN p.emails WHERE e IN $contacts)
                                      OR any(x IN p.phones WHERE x IN $contacts) } AS holders
        """,
        id=pid,
        records=held["records"],
        touchpoints=held["touchpoints"],
        consents=held["consents"],
        contacts=held["own_contacts"],
        database_=db,
    )
    assert dict(rows[0]) == {
        "person": 0,
        "records": 0,
        "touchpoints": 0,
        "consents": 0,
        "contacts": 0,
        "holders": 0,
    }
    # What the erasure leaves holds no identifier of the person, not even hashed plainly.
    left, _, _ = driver.execute_query(
        "MATCH (n) WHERE n:Tombstone OR n:AuditEntry RETURN properties(n) AS p",
        database_=db,
    )
    text = json.dumps([dict(r["p"]) for r in left], default=str)
    assert left
    assert not [i for i in identifiers if i and i in text]


def test_an_unknown_customer_is_one_clear_line(neo4j_settings: Neo4jSettings) -> None:
    env = cli_env(neo4j_settings, C360_PRIVACY_KEY=KEY.decode())
    for command in ("erase", "export"):
        done = run_cli(
            "privacy", command, "no-such-customer", "--reason", "test", env=env
        )
        assert done.returncode == 2, done.stderr
        *connected, last = done.stderr.strip().splitlines()
        assert last == "c360: no customer 'no-such-customer'"
        assert all(x.startswith("c360: connected to") for x in connected)
