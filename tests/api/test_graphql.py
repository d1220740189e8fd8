"""The GraphQL API against the real Neo4j: in-process, and over HTTP on a live uvicorn."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import httpx
import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import execute_graphql
from tests.conftest import HANDMADE, cli_env, free_port, start_cli

pytestmark = pytest.mark.neo4j

CUSTOMER = """
query($id: ID!) {
  customer(id: $id) {
    id displayName emails phones
    sourceRecords { rule matchedValue node { source sourceId } }
    owns { certificationStatus node { vin ofModel { code name limitedEdition } } }
    prefersDealer { node { code name inCountry { code } } }
    memberOf { membershipNumber membershipStatus node { code name affiliatedWith { code } } }
  }
}
"""


@pytest.fixture(scope="module")
def demo_graph(driver: neo4j.Driver) -> Iterator[dict[str, str]]:
    """The demo records loaded once; maps each source record key to its person id."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    pipeline.run(driver, HANDMADE)
    rows, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) RETURN s.sourceId AS s, p.id AS p"
    )
    yield {r["s"]: r["p"] for r in rows}
    driver.execute_query("MATCH (n) DETACH DELETE n")


def test_customer_360_in_process(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> None:
    keller = demo_graph["u-a11"]
    result = execute_graphql(neo4j_settings, CUSTOMER, {"id": keller})
    assert result.errors is None
    c = result.data["customer"]
    assert c["displayName"] == "Anna Keller"
    assert {r["node"]["sourceId"] for r in c["sourceRecords"]} == {
        "W-1001",
        "DE-014/K-2201",
        "u-a11",
        "VOC-LN/117",
    }
    assert c["owns"] == [
        {
            "certificationStatus": "AUTO",
            "node": {
                "vin": "ZVLS950D2RM100231",
                "ofModel": {
                    "code": "S950",
                    "name": "Strale 950",
                    "limitedEdition": False,
                },
            },
        }
    ]
    assert c["prefersDealer"] == {
        "node": {
            "code": "DE-014",
            "name": "Velatra München Nord",
            "inCountry": {"code": "DE"},
        }
    }
    assert c["memberOf"] == [
        {
            "membershipNumber": "117",
            "membershipStatus": "ACTIVE",
            "node": {
                "code": "VOC-LN",
                "name": "VOC Lago Nord",
                "affiliatedWith": {"code": "DE-014"},
            },
        }
    ]
    assert "+4915123456789" in c["phones"]


def test_unknown_id_is_null(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> None:
    result = execute_graphql(neo4j_settings, CUSTOMER, {"id": "no-such-id"})
    assert result.errors is None
    assert result.data == {"customer": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bellini", {"Beppe Bellini"}),
        ("Giuseppe", {"Beppe Bellini"}),  # a source record's name finds the person
        ("bell", {"Beppe Bellini"}),  # prefix while typing
        ("marco rossi", {"Marco Rossi"}),
        ("henrik.dahl@post.example.se", {"Henrik Dahl"}),
        ('a:(b" OR ~* AND NOT', set()),  # Lucene syntax in user input is inert
        ("   ", set()),
    ],
)
def test_search(
    neo4j_settings: Neo4jSettings,
    demo_graph: dict[str, str],
    text: str,
    expected: set[str],
) -> None:
    result = execute_graphql(
        neo4j_settings,
        "query($t: String!) { searchCustomers(text: $t) { displayName } }",
        {"t": text},
    )
    assert result.errors is None, result.errors
    assert {p["displayName"] for p in result.data["searchCustomers"]} == expected


def test_marco_rossi_search_returns_both_homonyms(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> None:
    result = execute_graphql(
        neo4j_settings,
        '{ searchCustomers(text: "rossi") { id prefersDealer { node { code } } } }',
    )
    assert sorted(
        p["prefersDealer"]["node"]["code"] for p in result.data["searchCustomers"]
    ) == ["IT-003", "IT-011"]


def test_bad_requests_are_graphql_errors(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> None:
    bad_field = execute_graphql(neo4j_settings, "{ nope }")
    assert "Cannot query field 'nope'" in bad_field.errors[0].message
    bad_arg = execute_graphql(
        neo4j_settings, '{ searchCustomers(text: "x", first: 0) { id } }'
    )
    assert bad_arg.errors[0].message == "first must be between 1 and 50"
    deep = '{ customer(id: "x") { memberOf { node { affiliatedWith { code } } } } }'
    assert execute_graphql(neo4j_settings, deep).errors is None
    too_deep = (
        "{ dealers { nodes { "
        + "clubs { affiliatedWith { " * 5
        + "code"
        + " } }" * 5
        + " } } }"
    )
    assert (
        "exceeds maximum operation depth"
        in execute_graphql(neo4j_settings, too_deep).errors[0].message
    )
    bad_cursor = execute_graphql(
        neo4j_settings, '{ persons(after: "zzz") { totalCount } }'
    )
    assert bad_cursor.errors[0].message == "after is not a cursor this API returned"
    too_many = execute_graphql(
        neo4j_settings, "{ persons(first: 1000) { totalCount } }"
    )
    assert too_many.errors[0].message == "first must be between 0 and 100"


@pytest.fixture(scope="module")
def live_api(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> Iterator[str]:
    """``c360 serve`` in a subprocess on a free port, against the session's Neo4j."""
    port = free_port()
    reader = start_cli("serve", "--port", str(port), env=cli_env(neo4j_settings))
    proc = reader.proc
    try:
        reader.wait_for("GraphiQL: http://127.0.0.1", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not any("Traceback" in line for line in reader.rest())


@pytest.mark.http
def test_customer_over_http(live_api: str, demo_graph: dict[str, str]) -> None:
    person = demo_graph["T-2024-8812"]
    response = httpx.post(
        f"{live_api}/graphql",
        json={"query": CUSTOMER, "variables": {"id": person}},
        timeout=30,
    )
    assert response.status_code == 200
    c = response.json()["data"]["customer"]
    assert c["displayName"] == "Tomasz Wrona"
    # Every record of a multi-record customer names the strongest edge that joined it.
    assert {(r["node"]["source"], r["rule"]) for r in c["sourceRecords"]} == {
        ("dealer_crm", "same_email_same_given_name"),
        ("owner_app", "same_email_same_given_name"),
        ("ticketing", "same_mobile_same_given_name"),
    }
    # The record whose VIN was invalid still counts; only the valid VIN became a vehicle.
    assert [v["node"]["vin"] for v in c["owns"]] == ["ZVLA800B1RP007781"]


@pytest.mark.http
def test_http_errors_and_graphiql(live_api: str) -> None:
    assert httpx.get(f"{live_api}/health", timeout=10).json() == {"status": "ok"}
    page = httpx.get(f"{live_api}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    garbage = httpx.post(
        f"{live_api}/graphql",
        content=b"\xff\xfe{{",
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert garbage.status_code == 400
    assert "Traceback" not in garbage.text
    syntax = httpx.post(
        f"{live_api}/graphql", json={"query": "{ customer(id: "}, timeout=10
    )
    assert syntax.status_code == 200
    assert syntax.json()["errors"][0]["message"].startswith("Syntax Error")
    deep = '{ customer(id: "x") { memberOf { node { affiliatedWith { code } } } } }'
    assert httpx.post(f"{live_api}/graphql", json={"query": deep}, timeout=10).json()[
        "data"
    ] == {"customer": None}


LOOKUPS = """
query($email: String!, $phone: String!) {
  bySource: customerBySourceRecord(source: "owner_app", sourceId: "u-5f2c") { displayName }
  unknown: customerBySourceRecord(source: "owner_app", sourceId: "u-none") { id }
  byEmail: customersByEmail(email: $email) { displayName }
  byPhone: customersByPhone(phone: $phone, country: "IT") { displayName }
  notAnEmail: customersByEmail(email: "not an email") { id }
}
"""


def test_lookups_by_source_record_email_and_phone(
    neo4j_settings: Neo4jSettings, demo_graph: dict[str, str]
) -> None:
    # The dealer typed G.Bellini@...; the app has +tag and another case; the phone is national.
    result = execute_graphql(
        neo4j_settings,
        LOOKUPS,
        {"email": " g.bellini@MAIL.example.it", "phone": "331 555 1234"},
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "bySource": {"displayName": "Beppe Bellini"},
        "unknown": None,
        "byEmail": [{"displayName": "Beppe Bellini"}],
        "byPhone": [{"displayName": "Beppe Bellini"}],
        "notAnEmail": [],
    }
