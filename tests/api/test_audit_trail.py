"""The audit trail on generated data: privileged GraphQL reads are written as audit
entries (no identifier, no search text), and `c360 privacy audit` lists them together
with link decisions, migrations and consent statements, by customer and by time."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import neo4j
import pytest

from api import pipeline
from graph import migrate, privacy
from graph.connection import Neo4jSettings
from graph.scope import Role, Scope
from ontology.model import default as default_ontology
from tests.api.conftest import execute_graphql
from tests.conftest import cli_env, run_cli

KEY = b"an audit test key"


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_PRIVACY_KEY", KEY.decode())


def reads(driver: neo4j.Driver, db: str) -> list[dict[str, Any]]:
    rows, _, _ = driver.execute_query(
        "MATCH (a:AuditEntry {action: 'read'}) RETURN properties(a) AS a ORDER BY a.id",
        database_=db,
    )
    return [dict(r["a"]) for r in rows]


def a_customer(driver: neo4j.Driver, db: str) -> tuple[str, list[str]]:
    """A customer with a web form (so consent statements) and two or more records."""
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)<-[:RESOLVED_TO]-(s:SourceRecord) "
        "WITH p, collect(s.source + '/' + s.sourceId) AS keys "
        "WHERE size(keys) >= 2 AND any(k IN keys WHERE k STARTS WITH 'web_form/') "
        "RETURN p.id AS id, keys ORDER BY id LIMIT 1",
        database_=db,
    )
    return rows[0]["id"], sorted(rows[0]["keys"])


def test_privileged_reads_are_audited_and_others_are_not(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    pid, _ = a_customer(driver, db)
    lookup = "query($id: ID!) { customer(id: $id) { id } }"
    # Open API (no keys) and scoped roles: nothing is written.
    execute_graphql(neo4j_settings, lookup, {"id": pid})
    execute_graphql(
        neo4j_settings,
        lookup,
        {"id": pid},
        context={"scope": Scope(Role.ANALYST, name="bi")},
    )
    assert reads(driver, db) == []

    ops = {"scope": Scope(Role.ADMIN, name="ops"), "privacy_key": KEY}
    got = execute_graphql(neo4j_settings, lookup, {"id": pid}, context=ops)
    assert got.errors is None and got.data == {"customer": {"id": pid}}
    got = execute_graphql(
        neo4j_settings, '{ searchCustomers(text: "secretname") { id } }', context=ops
    )
    assert got.errors is None
    entries = sorted(reads(driver, db), key=lambda e: json.loads(e["detail"])["fields"])
    assert [
        (e["actor"], e.get("subject"), json.loads(e["detail"])) for e in entries
    ] == [
        ("api:ops", privacy.subject(KEY, pid), {"fields": ["customer"]}),
        ("api:ops", None, {"fields": ["searchCustomers"]}),
    ]
    text = json.dumps(entries, default=str)
    assert "secretname" not in text and pid not in text


def test_trail_lists_decisions_migrations_reads_and_consent(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    pid, keys = a_customer(driver, db)
    env = cli_env(neo4j_settings, C360_ACTOR="steward", C360_PRIVACY_KEY=KEY.decode())
    decided = run_cli(
        "never-link", keys[0], keys[1], "--reason", "twins, checked by phone", env=env
    )
    assert decided.returncode == 0, decided.stderr
    migrate.apply(driver, migrate.plan(driver, default_ontology(), db), database=db)
    execute_graphql(
        neo4j_settings,
        "query($id: ID!) { customer(id: $id) { id } }",
        {"id": pid},
        context={"scope": Scope(Role.PRIVACY_OFFICER, name="dpo"), "privacy_key": KEY},
    )

    mine = privacy.trail(driver, db, KEY, pid, limit=1000)
    by_action: dict[str, list[dict[str, Any]]] = {}
    for e in mine:
        by_action.setdefault(e["action"], []).append(e)
    assert [(e["actor"], e["decisionReason"]) for e in by_action["never_link"]] == [
        ("steward", "twins, checked by phone")
    ]
    assert "api:dpo" in [e["actor"] for e in by_action["read"]]
    rows, _, _ = driver.execute_query(
        "MATCH (:Person {id: $id})<-[:RESOLVED_TO]-()-[:STATED_CONSENT]->(c) "
        "RETURN collect(c.consentKey) AS k",
        id=pid,
        database_=db,
    )
    assert sorted(e["id"] for e in by_action["consent"]) == sorted(rows[0]["k"])
    assert "migrate" not in by_action  # a migration is about no one customer
    # Newest first, whatever kind of time each writer stored.
    ats = [dt.datetime.fromisoformat(str(e["at"])[:19]) for e in mine]
    assert ats == sorted(ats, reverse=True)

    # By time: everything since the test started, whoever wrote it.
    recent = privacy.trail(driver, db, KEY, None, since=started, limit=1000)
    assert {e["action"] for e in recent} >= {"never_link", "migrate", "read"}
    assert all(e["actor"] for e in recent if e["action"] == "migrate")
    assert all(dt.datetime.fromisoformat(str(e["at"])[:19]) >= started for e in recent)
    later = started + dt.timedelta(days=1)
    assert privacy.trail(driver, db, KEY, None, since=later) == []
    out = run_cli("privacy", "audit", "--customer", pid, env=env)
    assert out.returncode == 0, out.stderr
    printed = [json.loads(line) for line in out.stdout.splitlines()]
    assert {e["action"] for e in printed} >= {"never_link", "read", "consent"}


class _WritesFail:
    """The real driver, with writes failing as they would when Neo4j refuses them (a
    fault injected in front of the real server, for the one path that writes)."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver

    async def execute_query(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("routing_") == neo4j.RoutingControl.WRITE:
            raise neo4j.exceptions.TransientError("writes refused")
        return await self._driver.execute_query(query, *args, **kwargs)


def test_an_unaudited_privileged_read_is_not_answered(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    pid, _ = a_customer(driver, db)
    before = len(reads(driver, db))
    out = execute_graphql(
        neo4j_settings,
        "query($id: ID!) { customer(id: $id) { id displayName } }",
        {"id": pid},
        driver=_WritesFail,
        context={"scope": Scope(Role.ADMIN, name="ops"), "privacy_key": KEY},
    )
    assert out.data is None
    assert [e.message for e in out.errors] == [
        "the read could not be written to the audit trail, so it is not answered; "
        "try again shortly"
    ]
    assert len(reads(driver, db)) == before
