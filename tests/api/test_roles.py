"""Role-scoped GraphQL on a resolved generated data set: each role reads only its people,
at the root and through every nested relationship, and personal data it may not read
in clear comes back pseudonymised. The truth comes from plain Cypher and Python."""

from __future__ import annotations

import signal
from collections import defaultdict
from typing import Any

import httpx
import neo4j
import pytest

from api import pipeline
from api.auth import pseudonymiser
from graph.connection import Neo4jSettings
from graph.scope import Role, Scope
from tests.api.conftest import execute_graphql
from tests.conftest import cli_env, free_port, run_cli, start_cli

MASK = pseudonymiser(b"test key")


def ask(
    settings: Neo4jSettings, scope: Scope, query: str, **variables: Any
) -> dict[str, Any]:
    result = execute_graphql(
        settings,
        query,
        variables,
        context={"scope": scope, "pseudonymise": MASK},
    )
    return {
        "data": result.data,
        "errors": [e.message for e in result.errors or []],
    }


def ids(driver: neo4j.Driver, db: str, query: str, **params: Any) -> set[str]:
    rows, _, _ = driver.execute_query(query, params, database_=db)
    return {r["id"] for r in rows}


def dealer_customers(driver: neo4j.Driver, db: str, code: str) -> set[str]:
    """People a dealer has a relationship with, by each relationship separately."""
    found = set()
    for pattern in (
        "(p:Person)-[:PREFERS_DEALER]->(d:Dealer)",
        "(d:Dealer)-[:RECRUITED]->(p:Person)",
        "(p:Person)-[:HAD]->()-[:AT_DEALER]->(d:Dealer)",
    ):
        found |= ids(
            driver,
            db,
            f"MATCH {pattern} WHERE d.code = $code RETURN DISTINCT p.id AS id",
            code=code,
        )
    return found


@pytest.fixture(scope="module")
def dealer(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> tuple[str, set[str]]:
    """The dealer with the most customers, and those customers."""
    db = neo4j_settings.database
    codes = ids(driver, db, "MATCH (d:Dealer) RETURN d.code AS id")
    best = max(sorted(codes), key=lambda c: len(dealer_customers(driver, db, c)))
    return best, dealer_customers(driver, db, best)


PEOPLE = """query($first: Int, $after: String) {
  persons(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id }
  }
}"""


def all_people(settings: Neo4jSettings, scope: Scope) -> tuple[int, set[str]]:
    """totalCount and every id, paging through ``persons`` as this scope."""
    seen: set[str] = set()
    after = None
    while True:
        out = ask(settings, scope, PEOPLE, first=100, after=after)
        assert out["errors"] == []
        page = out["data"]["persons"]
        seen |= {n["id"] for n in page["nodes"]}
        if not page["pageInfo"]["hasNextPage"]:
            return page["totalCount"], seen
        after = page["pageInfo"]["endCursor"]


NESTED = """query($id: ID!) {
  customer(id: $id) {
    id
    memberOf { node { members(first: 500) { node { id } } } }
    referredBy { node { id } } referred { node { id } }
    inHousehold { node { householdMembers { node { id } } } }
    prefersDealer { node { preferredBy(first: 500) { node { id } } } }
    attended(first: 50) { node { attendees(first: 500) { node { id } } } }
    owns { node { ownedBy { node { id } } } }
  }
}"""


def nested_ids(value: Any) -> set[str]:
    """Every ``id`` anywhere below ``value``."""
    if isinstance(value, dict):
        out = {value["id"]} if isinstance(value.get("id"), str) else set()
        return out.union(*(nested_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(nested_ids(v) for v in value))
    return set()


def test_dealer_reads_only_its_customers(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, dealer: tuple[str, set[str]]
) -> None:
    code, mine = dealer
    db = neo4j_settings.database
    everyone = ids(driver, db, "MATCH (p:Person) RETURN p.id AS id")
    assert 0 < len(mine) < len(everyone)
    scope = Scope(Role.DEALER, dealer=code, name="portal")
    total, seen = all_people(neo4j_settings, scope)
    assert (total, seen) == (len(mine), mine)

    outsider = min(everyone - mine)
    out = ask(neo4j_settings, scope, NESTED, id=outsider)
    assert out == {"data": {"customer": None}, "errors": []}
    # Through clubs, events, referrals, households and vehicles, only its customers show.
    reached: set[str] = set()
    for person in sorted(mine)[:60]:
        out = ask(neo4j_settings, scope, NESTED, id=person)
        assert out["errors"] == []
        reached |= nested_ids(out["data"]["customer"])
    admin = set()
    for person in sorted(mine)[:60]:
        got = execute_graphql(neo4j_settings, NESTED, {"id": person})
        admin |= nested_ids(got.data["customer"])
    assert reached <= mine
    assert admin - mine, "the nested query reaches other people when unscoped"


def test_dealer_records_and_contact_points_follow_its_people(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, dealer: tuple[str, set[str]]
) -> None:
    code, mine = dealer
    db = neo4j_settings.database
    scope = Scope(Role.DEALER, dealer=code, name="portal")
    rows, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
        "OPTIONAL MATCH (s)-[:HAS_CONTACT_POINT]->(e:Email) "
        "RETURN p.id AS person, s.source + '/' + s.sourceId AS record, e.value AS email",
        database_=db,
    )
    records = {r["record"] for r in rows if r["person"] in mine}
    emails = {r["email"] for r in rows if r["person"] in mine and r["email"]}
    out = ask(
        neo4j_settings,
        scope,
        "{ sourceRecords(first: 1) { totalCount } emails(first: 1) { totalCount } }",
    )
    assert out["errors"] == []
    assert out["data"]["sourceRecords"]["totalCount"] == len(records)
    assert out["data"]["emails"]["totalCount"] == len(emails)


def test_dealer_may_not_call_what_crosses_its_scope(
    neo4j_settings: Neo4jSettings, dealer: tuple[str, set[str]]
) -> None:
    code, _ = dealer
    scope = Scope(Role.DEALER, dealer=code, name="portal")
    for query, message in (
        ("{ auditEntries { totalCount } }", "may not read AuditEntry"),
        ("{ linkDecisions { totalCount } }", "may not read LinkDecision"),
        ('{ referralChain(customerId: "x") { depth } }', "may not query referralChain"),
        ('{ dealerKpis(code: "NOT-MINE") { customers } }', "its own code only"),
    ):
        out = ask(neo4j_settings, scope, query)
        assert not any((out["data"] or {}).values()), query
        assert any(message in e for e in out["errors"]), (query, out)
    own = ask(
        neo4j_settings,
        scope,
        "query($c: String!) { dealerKpis(code: $c) { code } }",
        c=code,
    )
    assert own == {"data": {"dealerKpis": {"code": code}}, "errors": []}
    # Dealers and clubs themselves are not personal data: every dealer is listed.
    dealers = ask(neo4j_settings, scope, "{ dealers { totalCount } }")
    admin = execute_graphql(neo4j_settings, "{ dealers { totalCount } }")
    assert dealers["data"] == admin.data


def test_club_reads_its_current_members(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[m:MEMBER_OF]->(c:Club) "
        "RETURN c.code AS club, p.id AS id, m.until AS until, date() AS today",
        database_=db,
    )
    members: dict[str, set[str]] = defaultdict(set)
    for r in rows:  # current: no end, or one after today
        if r["until"] is None or r["until"] > r["today"]:
            members[r["club"]].add(r["id"])
    club = max(sorted(members), key=lambda c: len(members[c]))
    assert members[club]
    scope = Scope(Role.CLUB, club=club, name="club-office")
    assert all_people(neo4j_settings, scope) == (len(members[club]), members[club])


def marketing_consented(driver: neo4j.Driver, db: str) -> set[str]:
    """People with some channel whose latest marketing statement (that channel or 'any';
    a refusal wins a tie) is a grant, computed in Python from every statement."""
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)<-[:RESOLVED_TO]-(:SourceRecord)-[:STATED_CONSENT]->(c:Consent) "
        "WHERE c.purpose = 'marketing' "
        "RETURN p.id AS id, c.channel AS channel, c.at AS at, c.consentStatus AS status",
        database_=db,
    )
    said: dict[str, list[tuple[str, Any, str]]] = defaultdict(list)
    for r in rows:
        said[r["id"]].append((r["channel"], r["at"], r["status"]))
    out = set()
    for person, statements in said.items():
        for channel in {c for c, _, _ in statements}:
            latest = sorted(
                (s for s in statements if s[0] in (channel, "any")),
                key=lambda s: (s[1], s[2] != "granted"),
            )[-1]
            if latest[2] == "granted":
                out.add(person)
                break
    return out


def test_marketing_reads_consented_people_and_no_records(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db = neo4j_settings.database
    consented = marketing_consented(driver, db)
    everyone = ids(driver, db, "MATCH (p:Person) RETURN p.id AS id")
    assert 0 < len(consented) < len(everyone)
    scope = Scope(Role.MARKETING, name="campaigns")
    assert all_people(neo4j_settings, scope) == (len(consented), consented)
    out = ask(neo4j_settings, scope, "{ sourceRecords { totalCount } }")
    assert any("may not read SourceRecord" in e for e in out["errors"])
    person = min(consented)
    out = ask(
        neo4j_settings,
        scope,
        "query($id: ID!) { customer(id: $id) { id sourceRecords { node { source } } } }",
        id=person,
    )
    assert out == {
        "data": {"customer": {"id": person, "sourceRecords": []}},
        "errors": [],
    }


def test_analyst_reads_everyone_pseudonymised(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE size(p.emails) > 0 AND p.birthDate IS NOT NULL "
        "RETURN p.id AS id ORDER BY id LIMIT 1",
        database_=db,
    )
    person = rows[0]["id"]
    query = """query($id: ID!) { customer(id: $id) {
        id displayName countryCode birthDate emails lifecycleStage
        sourceRecords { node { email givenName } }
    } }"""
    clear = execute_graphql(neo4j_settings, query, {"id": person}).data["customer"]
    scope = Scope(Role.ANALYST, name="bi")
    out = ask(neo4j_settings, scope, query, id=person)
    assert out["errors"] == []
    seen = out["data"]["customer"]
    # Analytics may use the country in clear (ontology: allowedPurpose analytics) ...
    assert (seen["id"], seen["countryCode"], seen["lifecycleStage"]) == (
        clear["id"],
        clear["countryCode"],
        clear["lifecycleStage"],
    )
    # ... names and emails only as stable tokens, and a birth date not at all.
    assert seen["displayName"] == MASK(clear["displayName"]) != clear["displayName"]
    assert seen["emails"] == [MASK(e) for e in clear["emails"]]
    assert seen["birthDate"] is None and clear["birthDate"] is not None
    for mine, theirs in zip(seen["sourceRecords"], clear["sourceRecords"], strict=True):
        assert mine["node"]["givenName"] == MASK(theirs["node"]["givenName"])
    everyone = ids(driver, db, "MATCH (p:Person) RETURN p.id AS id")
    total, _ = all_people(neo4j_settings, scope)
    assert total == len(everyone)
    # A filter, a sort or a search on a pseudonymised field would tell its value.
    for q, message in (
        (
            '{ persons(where: {familyName: {eq: "Rossi"}}) { totalCount } }',
            "cannot be filtered",
        ),
        (
            "{ persons(orderBy: [{displayName: ASC}]) { totalCount } }",
            "cannot be sorted",
        ),
        ('{ searchCustomers(text: "rossi") { id } }', "may not query searchCustomers"),
    ):
        out = ask(neo4j_settings, scope, q)
        assert any(message in e for e in out["errors"]), (q, out)


@pytest.mark.http
def test_api_keys_over_http(
    tmp_path: Any,
    neo4j_settings: Neo4jSettings,
    dealer: tuple[str, set[str]],
) -> None:
    """`c360 api-key add` mints keys; `c360 serve` then answers only callers with one."""
    code, mine = dealer
    env = cli_env(neo4j_settings, C360_API_KEYS=str(tmp_path / "keys.toml"))
    made = run_cli(
        "api-key", "add", "portal", "--role", "dealer", "--dealer", code, env=env
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    stored = (tmp_path / "keys.toml").read_text()
    assert secret not in stored and 'role = "dealer"' in stored
    officer = run_cli("api-key", "add", "dpo", "--role", "privacy-officer", env=env)
    assert officer.returncode == 0, officer.stderr
    bad = run_cli("api-key", "add", "x", "--role", "club", env=env)
    assert bad.returncode != 0 and "club code" in bad.stderr
    port = free_port()
    reader = start_cli(
        "serve", "--port", str(port), env={**env, "C360_PRIVACY_KEY": "http test"}
    )
    try:
        reader.wait_for("GraphiQL: http://127.0.0.1", timeout=60)
        url = f"http://127.0.0.1:{port}/graphql"
        body = {"query": "{ persons { totalCount } }"}
        for headers in ({}, {"Authorization": "Bearer c360_not-a-key"}):
            refused = httpx.post(url, json=body, headers=headers, timeout=30)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "API key" in refused.json()["errors"][0]["message"]
        ok = httpx.post(
            url, json=body, headers={"Authorization": f"Bearer {secret}"}, timeout=30
        )
        assert ok.status_code == 200
        assert ok.json() == {"data": {"persons": {"totalCount": len(mine)}}}
        export = {
            "query": 'mutation($id: ID!) { exportCustomer(id: $id, reason: "request 5") }',
            "variables": {"id": min(mine)},
        }
        for key, allowed in ((secret, False), (officer.stdout.strip(), True)):
            got = httpx.post(
                url, json=export, headers={"Authorization": f"Bearer {key}"}, timeout=30
            ).json()
            if allowed:
                assert got["data"]["exportCustomer"]["person"]["id"] == min(mine)
                assert (
                    got["data"]["exportCustomer"]["exportAudit"]["actor"] == "api:dpo"
                )
            else:
                assert "may not call exportCustomer" in got["errors"][0]["message"]
        page = httpx.get(url, headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200 and "graphiql" in page.text.lower()
    finally:
        reader.proc.send_signal(signal.SIGINT)
        assert reader.proc.wait(timeout=30) == 0
