"""Touchpoints in Neo4j: every one read is written to its person's journey or quarantined,
and a person's journey holds what the generator's truth says happened to them."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from linkage.sources import ingest, load_sources
from ontology.model import default as default_ontology
from tests.api.conftest import customer_of as stored_customers
from tests.api.conftest import execute_graphql

pytestmark = pytest.mark.neo4j

# The generator's journey kinds and the ontology class each is recorded as. Dealer visits
# are left out: the truth names the first contact only, the CRM opens an account per dealer.
KINDS = {
    "web_registration": "WebRegistration",
    "test_ride": "TestRide",
    "quotation": "Quotation",
    "order": "Order",
    "delivery": "Delivery",
    "service_visit": "ServiceVisit",
    "app_install": "AppInstall",
    "club_join": "ClubRegistration",
    "event_attendance": "EventAttendance",
}


def _journeys(driver: neo4j.Driver, db: str) -> dict[str, list[tuple[str, str]]]:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:HAD]->(t:Touchpoint) "
        "RETURN p.id AS id, [l IN labels(t) WHERE l <> 'Touchpoint'][0] AS kind, "
        "toString(date(t.at)) AS day",
        database_=db,
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r["id"], []).append((r["kind"], r["day"]))
    return out


def test_every_touchpoint_is_written_or_quarantined_and_journeys_match_the_truth(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
) -> None:
    db, clean_graph, result = neo4j_settings.database, driver, loaded
    read = ingest(load_sources(data / "sources.toml")).touchpoints
    journeys = _journeys(clean_graph, db)
    written = sum(len(j) for j in journeys.values())
    held = {
        q.location
        for q in result.quarantined
        if q.location in {f"{t.source}/{t.source_id}" for t in read}
    }
    assert result.touchpoints == written
    assert written + len(held) == len(read)
    assert written > 0.9 * len(read)  # messages to people no source holds are held back

    # People whose records all resolved to one customer of their own: that customer's
    # journey holds every tracked truth touchpoint, on its day.
    people: dict[str, set[str]] = {}
    owners: dict[str, set[str]] = {}
    customer_of = stored_customers(clean_graph, db)
    with (data / "truth" / "truth.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            customer = customer_of.get(f"{row['source']}/{row['source_id']}")
            if customer:
                people.setdefault(row["person_id"], set()).add(customer)
                owners.setdefault(customer, set()).add(row["person_id"])
    pure = {
        person: next(iter(cs))
        for person, cs in people.items()
        if len(cs) == 1 and len(owners[next(iter(cs))]) == 1
    }
    expected: dict[str, Counter[tuple[str, str]]] = {}
    with (data / "truth" / "journeys.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["person_id"] in pure and row["kind"] in KINDS:
                expected.setdefault(row["person_id"], Counter())[
                    (KINDS[row["kind"]], row["at"][:10])
                ] += 1
    assert len(expected) > 200
    missing = {
        person: want - Counter(journeys.get(pure[person], []))
        for person, want in expected.items()
    }
    wrong = {p: m for p, m in missing.items() if m}
    assert len(wrong) <= 0.02 * len(expected), list(wrong.items())[:5]


JOURNEY = """
query($id: ID!, $first: Int) {
  customer(id: $id) {
    had(first: $first) {
      __typename at journeyStage channel source sourceId
      atDealer { code }
      ... on Quotation { outcome reason forModel { code } }
      ... on Order { amount aboutVehicle { vin } }
      ... on ServiceVisit { serviceType mileage aboutVehicle { vin } }
      ... on SurveyResponse { score checkpoint }
    }
  }
}
"""


def test_the_journey_over_graphql_is_time_ordered_and_typed(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db, clean_graph = neo4j_settings.database, driver
    rows, _, _ = clean_graph.execute_query(
        "MATCH (p:Person)-[:HAD]->(t) WITH p, count(t) AS n, "
        "count{ (p)-[:HAD]->(:Order) } AS orders WHERE orders > 0 "
        "RETURN p.id AS id, n ORDER BY n DESC, id LIMIT 1",
        database_=db,
    )
    person, total = rows[0]["id"], rows[0]["n"]

    def run(first: int) -> Any:
        return execute_graphql(neo4j_settings, JOURNEY, {"id": person, "first": first})

    result = run(500)
    assert result.errors is None, result.errors  # type: ignore[attr-defined]
    steps = result.data["customer"]["had"]  # type: ignore[attr-defined]
    assert len(steps) == total
    assert [s["at"] for s in steps] == sorted(s["at"] for s in steps)
    kinds = {s["__typename"] for s in steps}
    assert "Order" in kinds and kinds <= {
        n.name for n in default_ontology().subclasses("Touchpoint")
    }
    order = next(s for s in steps if s["__typename"] == "Order")
    assert order["amount"] > 0 and len(order["aboutVehicle"]["vin"]) == 17
    assert all("amount" not in s for s in steps if s["__typename"] != "Order")
    stored, _, _ = clean_graph.execute_query(
        "MATCH (p:Person {id: $id})-[:HAD]->(t:Touchpoint) "
        "RETURN t.source + '/' + t.sourceId AS k ORDER BY t.at, t.source, t.sourceId",
        id=person,
        database_=db,
    )
    assert [f"{s['source']}/{s['sourceId']}" for s in steps] == [r["k"] for r in stored]
    first_two = (run(2)).data["customer"]["had"]  # type: ignore[attr-defined]
    assert first_two == steps[:2]


NPS = """
query($by: NpsGrouping!, $checkpoint: String) {
  npsSummary(by: $by, checkpoint: $checkpoint, first: 1000) {
    key responses promoters passives detractors nps
  }
}
"""


def test_nps_summaries_match_the_answers_in_the_survey_extract(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
) -> None:
    db = neo4j_settings.database
    surveys, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord {source: 'survey'}) RETURN s.sourceId AS id",
        database_=db,
    )
    kept = {r["id"] for r in surveys}

    def run(variables: dict[str, object]) -> Any:
        return execute_graphql(neo4j_settings, NPS, variables)

    def expected(
        subject: str | None, checkpoint: str | None
    ) -> dict[str, tuple[int, float]]:
        scores: dict[str, list[int]] = {}
        with (data / "nps_responses.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["response_id"] not in kept:
                    continue
                if subject and row["subject_type"] != subject:
                    continue
                if checkpoint and row["checkpoint"] != checkpoint:
                    continue
                key = row["subject_id"] if subject else row["checkpoint"]
                scores.setdefault(key, []).append(int(row["score"]))
        return {
            k: (
                len(v),
                round(
                    100 * (sum(s >= 9 for s in v) - sum(s <= 6 for s in v)) / len(v), 2
                ),
            )
            for k, v in scores.items()
        }

    for by, subject, checkpoint in (
        ("DEALER", "dealer", None),
        ("DEALER", "dealer", "service"),
        ("EVENT", "event", None),
        ("MODEL", "model", None),
        ("CHECKPOINT", None, None),
    ):
        result = run({"by": by, "checkpoint": checkpoint})
        assert result.errors is None, result.errors  # type: ignore[attr-defined]
        groups = result.data["npsSummary"]  # type: ignore[attr-defined]
        got = {g["key"]: (g["responses"], g["nps"]) for g in groups}
        assert got == expected(subject, checkpoint), by
        assert all(
            g["promoters"] + g["passives"] + g["detractors"] == g["responses"]
            for g in groups
        )
    bad = run({"by": "DEALER; DROP"})
    assert bad.errors and "NpsGrouping" in str(bad.errors[0])  # type: ignore[attr-defined]


CHAIN = """
query($id: ID!) {
  referralChain(customerId: $id) { depth mechanism evidence referrer { id } referee { id displayName } }
}
"""
TREE = """
query($id: ID!) {
  referralTree(customerId: $id, maxDepth: 2) { depth converted referee { id } }
}
"""


def test_declared_referrals_link_the_right_customers_and_answer_overexecute_graphql(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
) -> None:
    db = neo4j_settings.database
    customer_of = stored_customers(driver, db)
    people: dict[str, set[str]] = {}
    with (data / "truth" / "truth.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if (
                c := customer_of.get(f"{row['source']}/{row['source_id']}")
            ) is not None:
                people.setdefault(c, set()).add(row["person_id"])
    with (data / "truth" / "referrals.csv").open(encoding="utf-8") as fh:
        declared = {
            (r["referrer_id"], r["referee_id"])
            for r in csv.DictReader(fh)
            if r["mechanism"] == "declared"
        }
    edges, _, _ = driver.execute_query(
        "MATCH (a:Person)-[x:REFERRED]->(b:Person) RETURN a.id AS a, b.id AS b, x.mechanism AS m",
        database_=db,
    )
    assert loaded.referrals == len(edges) >= 3
    for e in edges:  # each edge joins the customers of a true referral
        assert e["m"] == "declared"
        assert any((x, y) in declared for x in people[e["a"]] for y in people[e["b"]])
    assert len(edges) >= 0.8 * len(declared)

    def run(query: str, person: str) -> Any:
        return execute_graphql(neo4j_settings, query, {"id": person})

    e = edges[0]
    chain = run(CHAIN, e["b"])
    assert chain.errors is None, chain.errors  # type: ignore[attr-defined]
    hops = chain.data["referralChain"]  # type: ignore[attr-defined]
    assert hops[0]["depth"] == 1 and hops[0]["referrer"]["id"] == e["a"]
    assert hops[0]["referee"]["id"] == e["b"] and hops[0]["evidence"].startswith(
        "web_form/"
    )
    tree = run(TREE, e["a"])
    below = [h for h in tree.data["referralTree"] if h["referee"]["id"] == e["b"]]  # type: ignore[attr-defined]
    ordered, _, _ = driver.execute_query(
        "RETURN EXISTS { (:Person {id: $id})-[:HAD]->(:Order) } AS o",
        id=e["b"],
        database_=db,
    )
    assert below == [
        {"depth": 1, "converted": ordered[0]["o"], "referee": {"id": e["b"]}}
    ]
    referrer_of = {x["b"]: x["a"] for x in edges}
    ancestors, node = [], e["a"]
    while node in referrer_of:
        node = referrer_of[node]
        ancestors.append(node)
    up = (run(CHAIN, e["a"])).data["referralChain"]  # type: ignore[attr-defined]
    assert [h["referrer"]["id"] for h in up] == ancestors


FUNNEL = """
query($stages: [String!]!, $dealer: String) {
  funnel(stages: $stages, dealer: $dealer) { stage customers conversion dropOff medianDays }
}
"""
STAGES = ["TestRide", "Quotation", "Order", "Delivery"]


def _steps(
    driver: neo4j.Driver, db: str
) -> dict[str, list[tuple[Any, str, str | None]]]:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[:HAD]->(t:Touchpoint) "
        "RETURN p.id AS id, t.at AS at, [l IN labels(t) WHERE l <> 'Touchpoint'][0] AS kind, "
        "t.source + t.sourceId AS tie, [(t)-[:AT_DEALER]->(d) | d.code][0] AS dealer, "
        "t.reason AS reason",
        database_=db,
    )
    out: dict[str, list[tuple[Any, str, str | None]]] = {}
    for r in sorted(rows, key=lambda r: (r["at"].to_native(), r["tie"])):
        out.setdefault(r["id"], []).append(
            (r["at"].to_native(), r["kind"], r["dealer"])
        )
    return out


def test_funnel_counts_customers_through_the_stages_in_order(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db = neo4j_settings.database
    steps = _steps(driver, db)
    dealer = Counter(
        d for s in steps.values() for _, k, d in s if k == "Quotation" and d
    )
    busiest = dealer.most_common(1)[0][0]
    for where in (None, busiest):
        reached = [0] * len(STAGES)
        for person in steps.values():  # greedy: each stage's first time after the last
            i = 0
            for _, kind, d in person:
                if i < len(STAGES) and kind == STAGES[i] and where in (None, d):
                    reached[i] += 1
                    i += 1

        result = execute_graphql(
            neo4j_settings, FUNNEL, {"stages": STAGES, "dealer": where}
        )
        assert result.errors is None, result.errors  # type: ignore[attr-defined]
        got = result.data["funnel"]  # type: ignore[attr-defined]
        assert [g["customers"] for g in got] == reached
        assert reached[0] > reached[-1] > 0
        assert got[1]["conversion"] == round(reached[1] / reached[0], 4)
        assert got[0]["medianDays"] is None and got[2]["medianDays"] >= 0


def test_sleeper_leads_are_quotations_no_order_followed_in_time(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    import datetime as dt

    db = neo4j_settings.database
    window = dt.timedelta(days=60)
    cutoff = dt.datetime.now() - window
    expected: Counter[str] = Counter()
    for person in _steps(driver, db).values():
        orders = [at for at, kind, _ in person if kind == "Order"]
        for at, kind, dealer in person:
            followed = any(at <= o <= at + window for o in orders)
            if kind == "Quotation" and dealer and at < cutoff and not followed:
                expected[dealer] += 1

    def run() -> Any:
        return execute_graphql(
            neo4j_settings,
            "{ sleeperLeads(days: 60, first: 1000) { dealer leads reasons { reason count } } }",
        )

    result = run()
    assert result.errors is None, result.errors  # type: ignore[attr-defined]
    got = result.data["sleeperLeads"]  # type: ignore[attr-defined]
    assert {g["dealer"]: g["leads"] for g in got} == dict(expected)
    assert sum(expected.values()) > 10
    assert all(sum(r["count"] for r in g["reasons"]) == g["leads"] for g in got)


def test_journey_paths_count_the_sequences_to_the_first_order(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> None:
    db = neo4j_settings.database
    paths: Counter[tuple[str, ...]] = Counter()
    for person in _steps(driver, db).values():
        ordered = [at for at, kind, _ in person if kind == "Order"]
        if not ordered:
            continue
        path: list[str] = []
        for at, kind, _ in person:
            step = at <= min(ordered) and kind not in {
                "Communication",
                "SurveyResponse",
                "Case",
            }
            if step and (not path or path[-1] != kind):
                path.append(kind)
        paths[tuple(path)] += 1

    def run() -> Any:
        return execute_graphql(
            neo4j_settings, "{ journeyPaths(first: 1000) { path customers } }"
        )

    result = run()
    assert result.errors is None, result.errors  # type: ignore[attr-defined]
    got = {tuple(p["path"]): p["customers"] for p in result.data["journeyPaths"]}  # type: ignore[attr-defined]
    assert got == dict(paths)
    assert all(p[-1] == "Order" for p in got)


def test_lifecycle_stages_agree_with_the_truth(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, data: Path
) -> None:
    import datetime as dt

    db = neo4j_settings.database
    as_of = dt.datetime(2026, 6, 30)  # the generator's world date (defaults.toml)
    pipeline.run(driver, data / "sources.toml", database=db, as_of=as_of)
    rows, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
        "RETURN s.source + '/' + s.sourceId AS key, p.id AS id, p.lifecycleStage AS stage",
        database_=db,
    )
    stage_of = {r["key"]: (r["id"], r["stage"]) for r in rows}
    truth_stage = {}
    with (data / "truth" / "people.csv").open(encoding="utf-8") as fh:
        truth_stage = {r["person_id"]: r["stage"] for r in csv.DictReader(fh)}
    customers: dict[str, set[str]] = {}
    stages = {}
    with (data / "truth" / "truth.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if (got := stage_of.get(f"{r['source']}/{r['source_id']}")) is not None:
                customers.setdefault(got[0], set()).add(r["person_id"])
                stages[got[0]] = got[1]
    split = Counter(
        p for ps in customers.values() for p in ps
    )  # a person in one customer
    pure = [
        (c, next(iter(ps)))
        for c, ps in customers.items()
        if len(ps) == 1 and split[next(iter(ps))] == 1
    ]
    agree = Counter((stages[c], truth_stage[p]) for c, p in pure)
    share = sum(n for (a, b), n in agree.items() if a == b) / len(pure)
    assert set(stages.values()) <= {
        "contact",
        "prospect",
        "sleeper_lead",
        "ordered",
        "owner",
        "repeat_owner",
        "former_owner",
    }
    # 0.974 at this seed: the rest are resales no later owner certified, which the brief
    # says stay invisible (the truth knows them; the sources do not).
    assert share >= 0.95, agree.most_common(12)


class CountingDriver:
    """The real async driver, counting the queries a request sends."""

    def __init__(self, driver: Any) -> None:
        self.driver, self.queries = driver, 0

    async def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1
        return await self.driver.execute_query(*args, **kwargs)


BIG = """
query($id: ID!) {
  customer(id: $id) {
    id displayName lifecycleStage emails
    sourceRecords { rule node { source sourceId hasContactPoint { node { value } } } }
    owns { certificationStatus node { vin ofModel { code name } } }
    prefersDealer { node { code inCountry { code inRegion { code } } } }
    memberOf { node { code affiliatedWith { code } } }
    had(first: 100) { __typename at atDealer { code } ... on Order { aboutVehicle { vin } } }
    referredBy { mechanism node { id } }
  }
}
"""


@pytest.mark.parametrize(
    ("query", "variables", "most"),
    [
        (BIG, {}, 1),
        (
            "{ referralTree(customerId: $id, maxDepth: 3) { referrer { id } referee { id } } }",
            {},
            3,
        ),
        ('{ funnel(stages: ["TestRide", "Quotation", "Order"]) { customers } }', {}, 1),
        ("{ journeyPaths { path customers } }", {}, 1),
        ("{ npsSummary(by: DEALER) { key nps } }", {}, 1),
        ("{ sleeperLeads { dealer leads } }", {}, 1),
        (
            "query($code: String!) { dealerKpis(code: $code) { customers nps { key } } }",
            {},
            1,
        ),
        (
            "{ connection(a: $id, b: $referee) { hops nodes { key } } }",
            {},
            1,
        ),
        (
            "{ persons(first: 100) { totalCount nodes { id had(first: 5) { at } } } }",
            {},
            1,
        ),
        (
            "{ persons(first: 100) { nodes { id hadConnection(first: 5) { totalCount "
            "pageInfo { hasNextPage } edges { cursor node { at } } } } } }",
            {},
            1,
        ),
        (
            '{ segmentMembers(segmentId: "owners-without-app", first: 100) { totalCount '
            "nodes { id inSegment(current: true) { since node { id } } } } }",
            {},
            2,
        ),
        (
            '{ segmentMembership(customerId: $id, segmentId: "service-due") '
            "{ member reasons { held values } } }",
            {},
            1,
        ),
    ],
    ids=[
        "customer",
        "referralTree",
        "funnel",
        "journeyPaths",
        "npsSummary",
        "sleeperLeads",
        "dealerKpis",
        "connection",
        "persons",
        "nestedPages",
        "segmentMembers",
        "segmentMembership",
    ],
)
def test_a_request_runs_a_bounded_number_of_queries(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    loaded: pipeline.PipelineResult,
    query: str,
    variables: dict[str, Any],
    most: int,
) -> None:
    """No N+1: the query count does not grow with the result (the busiest customer, the
    top referrer's tree, 100 customers each with their touchpoints)."""
    db = neo4j_settings.database
    top, _, _ = driver.execute_query(
        "MATCH (p:Person) OPTIONAL MATCH (p)-[:REFERRED]->(x) "
        "WITH p, count(x) AS referred, COUNT { (p)-[:HAD]->() } AS steps "
        "RETURN p.id AS id ORDER BY referred DESC, steps DESC, id LIMIT 1",
        database_=db,
    )
    if "$referee" in query:
        query = "query($id: ID!, $referee: ID!) " + query
        referee, _, _ = driver.execute_query(
            "MATCH ()-[:REFERRED]->(b:Person) RETURN b.id AS id ORDER BY id LIMIT 1",
            database_=db,
        )
        variables = {"referee": referee[0]["id"]}
    elif "$id" in query and not query.lstrip().startswith("query"):
        query = "query($id: ID!) " + query
    if "$code" in query:
        busiest, _, _ = driver.execute_query(
            "MATCH (q:Quotation)-[:AT_DEALER]->(d:Dealer) "
            "WITH d, count(q) AS n RETURN d.code AS code ORDER BY n DESC, code LIMIT 1",
            database_=db,
        )
        variables = {"code": busiest[0]["code"]}

    counters: list[CountingDriver] = []

    def counting(drv: Any) -> CountingDriver:
        counters.append(CountingDriver(drv))
        return counters[-1]

    variables = {"id": top[0]["id"], **variables} if "$id" in query else variables
    result = execute_graphql(neo4j_settings, query, variables or None, driver=counting)
    queries = counters[0].queries
    assert result.errors is None, result.errors
    assert 1 <= queries <= most
