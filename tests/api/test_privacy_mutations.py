"""The privacy officer's GraphQL mutations on generated data: only that role may call
them, the export holds the customer's records, and an erasure removes the customer,
leaves tombstones and an audit entry naming the API key."""

from __future__ import annotations

from typing import Any

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from graph.scope import Role, Scope
from tests.api.conftest import execute_graphql

KEY = b"a test privacy key"
OFFICER = Scope(Role.PRIVACY_OFFICER, name="dpo-desk")

EXPORT = """mutation($id: ID!, $reason: String!) {
  exportCustomer(id: $id, reason: $reason)
}"""
ERASE = """mutation($id: ID!, $reason: String!) {
  eraseCustomer(id: $id, reason: $reason) { customerId auditId tombstones removed }
}"""


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_PRIVACY_KEY", KEY.decode())


def call(
    settings: Neo4jSettings,
    driver: neo4j.Driver,
    scope: Scope | None,
    query: str,
    **variables: Any,
) -> tuple[Any, list[str]]:
    context: dict[str, Any] = {"writer": lambda: driver}
    if scope is not None:
        context["scope"] = scope
    result = execute_graphql(settings, query, variables, context=context)
    return result.data, [e.message for e in result.errors or []]


def records_of(driver: neo4j.Driver, db: str, pid: str) -> set[str]:
    rows, _, _ = driver.execute_query(
        "MATCH (:Person {id: $id})<-[:RESOLVED_TO]-(s) RETURN s.source + '/' + s.sourceId AS r",
        id=pid,
        database_=db,
    )
    return {r["r"] for r in rows}


def test_only_the_privacy_officer_may_export_or_erase(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) RETURN p.id AS id ORDER BY id LIMIT 1", database_=db
    )
    pid = rows[0]["id"]
    for scope in (
        None,  # an API running open: every caller is admin, and admin may not
        Scope(Role.ADMIN, name="ops"),
        Scope(Role.ANALYST, name="bi"),
        Scope(Role.MARKETING, name="crm"),
    ):
        for query in (EXPORT, ERASE):
            data, errors = call(
                neo4j_settings, driver, scope, query, id=pid, reason="request 9"
            )
            assert data is None and any("may not call" in e for e in errors), scope
    assert records_of(driver, db, pid), "nothing was erased"
    rows, _, _ = driver.execute_query(
        "MATCH (a:AuditEntry) RETURN count(a) AS n", database_=db
    )
    assert rows[0]["n"] == 0


def test_officer_exports_then_erases_a_customer(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE COUNT { (p)<-[:RESOLVED_TO]-() } >= 2 "
        "RETURN p.id AS id ORDER BY id LIMIT 1",
        database_=db,
    )
    pid = rows[0]["id"]
    held = records_of(driver, db, pid)
    data, errors = call(
        neo4j_settings, driver, OFFICER, EXPORT, id=pid, reason="access request 21"
    )
    assert errors == []
    exported = data["exportCustomer"]
    assert exported["person"]["id"] == pid
    assert {
        f"{r['record']['source']}/{r['record']['sourceId']}"
        for r in exported["sourceRecords"]
    } == held
    assert exported["exportAudit"]["actor"] == "api:dpo-desk"

    data, errors = call(neo4j_settings, driver, OFFICER, ERASE, id=pid, reason="r")
    assert data is None and any("reason must be" in e for e in errors)
    data, errors = call(
        neo4j_settings, driver, OFFICER, ERASE, id=pid, reason="erasure request 22"
    )
    assert errors == []
    done = data["eraseCustomer"]
    assert done["customerId"] == pid and done["tombstones"] >= len(held)
    assert done["removed"]["source records"] == len(held)
    assert records_of(driver, db, pid) == set()
    gone = execute_graphql(
        neo4j_settings, "query($id: ID!) { customer(id: $id) { id } }", {"id": pid}
    )
    assert gone.data == {"customer": None}
    rows, _, _ = driver.execute_query(
        "MATCH (a:AuditEntry {id: $id}) RETURN a.action AS action, a.actor AS actor, "
        "a.decisionReason AS reason",
        id=done["auditId"],
        database_=db,
    )
    assert [dict(r) for r in rows] == [
        {"action": "erase", "actor": "api:dpo-desk", "reason": "erasure request 22"}
    ]
    data, errors = call(
        neo4j_settings, driver, OFFICER, ERASE, id=pid, reason="erasure request 22"
    )
    assert data is None and any("no customer" in e for e in errors)
