"""Dealer and club KPIs through GraphQL, checked against the extracts and the graph's facts
recomputed in Python from the definitions (domain brief §7)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from tests.api.conftest import customer_of, execute_graphql

DEALER = """
query($code: String!) {
  dealerKpis(code: $code) {
    code customers clubMembers clubPenetration quoted ordered quotationToOrderRate
    sleeperLeads recoveredSleeperLeads sleeperRecoveryRate sleeperReasons { reason count }
    newOwners appAdoption
    nps { key responses promoters passives detractors nps }
  }
}
"""
WINDOWED = """
query($code: String!, $from: DateTime, $until: DateTime) {
  dealerKpis(code: $code, from: $from, until: $until) {
    quoted ordered sleeperLeads recoveredSleeperLeads sleeperReasons { reason count }
  }
}
"""
CLUB = """
query($code: String!) {
  clubKpis(code: $code) {
    code dealer members activeMembers dealerCustomers customerMembers penetration
    nps { key responses nps }
  }
}
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d.%m.%Y").date()


def _facts(driver: neo4j.Driver, db: str) -> dict[str, Any]:
    """The graph's plain facts, for the definitions to be recomputed in Python."""

    def q(cypher: Any) -> list[Any]:
        return driver.execute_query(cypher, database_=db)[0]

    return {
        "prefers": q(
            "MATCH (p:Person)-[:PREFERS_DEALER]->(d:Dealer) RETURN p.id AS p, d.code AS d"
        ),
        "sold_open": q(
            "MATCH (p:Person)-[:HAD]->(o:Order)-[:AT_DEALER]->(d:Dealer), "
            "(o)-[:ABOUT_VEHICLE]->(v:Vehicle)<-[w:OWNS]-(p) "
            "WHERE w.ownedThrough IS NULL RETURN p.id AS p, d.code AS d"
        ),
        "app": _app_adoption(
            q(
                "MATCH (p:Person)-[:HAD]->(v:Delivery)-[:AT_DEALER]->(d:Dealer) "
                "RETURN d.code AS d, p.id AS p, v.at AS at, "
                "[(p)-[:HAD]->(a:AppInstall) | a.at] AS apps"
            )
        ),
        "members": q(
            "MATCH (p:Person)-[m:MEMBER_OF]->(c:Club) "
            "OPTIONAL MATCH (c)-[:AFFILIATED_WITH]->(d:Dealer) "
            "RETURN p.id AS p, c.code AS c, d.code AS d, m.membershipStatus AS status"
        ),
    }


def _app_adoption(rows: list[Any]) -> dict[str, tuple[int, int]]:
    """Per dealer: people with a delivery there, and of those with the app within 90 days
    of their first delivery there."""
    first: dict[tuple[str, str], Any] = {}
    apps: dict[str, list[Any]] = {}
    for r in rows:
        key = (r["d"], r["p"])
        first[key] = min(r["at"], first.get(key, r["at"]))
        apps[r["p"]] = r["apps"]
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (dealer, p), day in first.items():
        out[dealer][0] += 1
        out[dealer][1] += any(
            a.to_native() < day.to_native() + dt.timedelta(days=90) for a in apps[p]
        )
    return {d: (n, k) for d, (n, k) in out.items()}


@pytest.fixture(scope="module")
def facts(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    loaded: pipeline.PipelineResult,
) -> dict[str, Any]:
    return _facts(driver, neo4j_settings.database)


def _customers(facts: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for r in [*facts["prefers"], *facts["sold_open"]]:
        out[r["d"]].add(r["p"])
    return out


def test_dealer_kpis_follow_the_definitions(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
    facts: dict[str, Any],
) -> None:
    db = neo4j_settings.database
    person_of = customer_of(driver, db)
    kept_quotes = {
        r["id"]
        for r in driver.execute_query(
            "MATCH (q:Quotation) RETURN q.sourceId AS id", database_=db
        )[0]
    }
    orders = _rows(data / "dealer_crm_orders.csv")

    def person(r: dict[str, str]) -> str | None:
        return person_of.get(f"dealer_crm/{r['DEALER_CODE']}/{r['ACCOUNT_ID']}")

    def midnight(text: str) -> dt.datetime:
        return dt.datetime.combine(_day(text), dt.time())

    # Quotations: the dealers' own, and configurator requests sent from web forms to the
    # preferred dealer: (dealer, customer, at, rejection reason).
    quotes = [
        (r["DEALER_CODE"], p, midnight(r["QUOTE_DATE"]), r["REJECTION_REASON"] or None)
        for r in _rows(data / "dealer_crm_quotations.csv")
        if r["QUOTE_ID"] in kept_quotes and (p := person(r)) is not None
    ]
    with (data / "web_forms.jsonl").open(encoding="utf-8") as fh:
        forms = [json.loads(line) for line in fh]
    quotes += [
        (f["preferred_dealer"], p, dt.datetime.fromisoformat(f["submitted_at"]), None)
        for f in forms
        if f["form"] == "quotation_request"
        and f["preferred_dealer"]
        and (p := person_of.get(f"web_form/{f['submission_id']}")) is not None
    ]
    ordered_on: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for o in orders:
        if (p := person(o)) is not None:
            ordered_on[(o["DEALER_CODE"], p)].append(midnight(o["ORDER_DATE"]))
    quoted, converted, sleepers, recovered, reasons = _quote_kpis(quotes, ordered_on)
    customers = _customers(facts)
    in_club: dict[str, set[str]] = defaultdict(set)
    for m in facts["members"]:
        if m["status"] == "active" and m["d"]:
            in_club[m["d"]].add(m["p"])

    dealers = [d for d, _ in quoted.most_common(3)] + [
        max(customers, key=lambda d: len(customers[d] & in_club[d]))
    ]
    for code in dealers:
        result = execute_graphql(neo4j_settings, DEALER, {"code": code})
        assert result.errors is None, result.errors
        got = result.data["dealerKpis"]
        members = len(customers[code] & in_club[code])
        assert got["customers"] == len(customers[code]) > 0
        assert got["clubMembers"] == members
        assert got["clubPenetration"] == round(members / len(customers[code]), 4)
        assert (got["quoted"], got["ordered"]) == (quoted[code], converted[code])
        if quoted[code]:
            assert got["quotationToOrderRate"] == round(
                converted[code] / quoted[code], 4
            )
        assert (got["sleeperLeads"], got["recoveredSleeperLeads"]) == (
            sleepers[code],
            recovered[code],
        )
        assert {x["reason"]: x["count"] for x in got["sleeperReasons"]} == reasons[code]
        leads = [x["count"] for x in got["sleeperReasons"]]
        assert leads == sorted(leads, reverse=True)
        new_owners, with_app = facts["app"].get(code, (0, 0))
        assert got["newOwners"] == new_owners
        assert got["appAdoption"] == (
            round(with_app / new_owners, 4) if new_owners else None
        )
        for g in got["nps"]:
            assert g["promoters"] + g["passives"] + g["detractors"] == g["responses"]
    # Some quotations convert and some do not, so the rate is not trivially 0 or 1.
    assert 0 < sum(converted.values()) < sum(quoted.values())
    assert 0 < sum(recovered.values()) < sum(sleepers.values())
    unknown = execute_graphql(neo4j_settings, DEALER, {"code": "NO-SUCH' OR 1=1 //"})
    assert unknown.errors is None and unknown.data["dealerKpis"] is None

    # In a window only its quotations count; the orders that convert them need not be in it.
    since, until = dt.datetime(2024, 1, 1, 12), dt.datetime(2025, 7, 1, 12)
    w_quoted, w_converted, w_sleepers, w_recovered, w_reasons = _quote_kpis(
        quotes, ordered_on, since, until
    )
    for code in dealers:
        result = execute_graphql(
            neo4j_settings,
            WINDOWED,
            {"code": code, "from": since.isoformat(), "until": until.isoformat()},
        )
        assert result.errors is None, result.errors
        got = result.data["dealerKpis"]
        assert (got["quoted"], got["ordered"]) == (w_quoted[code], w_converted[code])
        assert 0 < got["quoted"] < quoted[code]
        assert (got["sleeperLeads"], got["recoveredSleeperLeads"]) == (
            w_sleepers[code],
            w_recovered[code],
        )
        assert {x["reason"]: x["count"] for x in got["sleeperReasons"]} == w_reasons[
            code
        ]


Quote = tuple[
    str, str, dt.datetime, str | None
]  # dealer, customer, at, rejection reason


def _quote_kpis(
    quotes: list[Quote],
    ordered_on: dict[tuple[str, str], list[dt.datetime]],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> tuple[
    Counter[str], Counter[str], Counter[str], Counter[str], dict[str, Counter[str]]
]:
    """Per dealer, from the quotations in [since, until): people quoted and converted,
    sleeper leads and recovered ones, and the sleeper quotations' reasons."""
    day60, day365 = dt.timedelta(days=60), dt.timedelta(days=365)
    first_quote: dict[tuple[str, str], dt.datetime] = {}
    sleeper_first: dict[tuple[str, str], dt.datetime] = {}
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for dealer, p, at, reason in quotes:
        if (since and at < since) or (until and at >= until):
            continue
        key = (dealer, p)
        first_quote[key] = min(at, first_quote.get(key, at))
        # A sleeper lead: no order at the dealer followed within 60 days.
        if not any(at <= o < at + day60 for o in ordered_on[key]):
            sleeper_first[key] = min(at, sleeper_first.get(key, at))
            reasons[dealer][reason or "none given"] += 1
    quoted: Counter[str] = Counter()
    converted: Counter[str] = Counter()
    for (dealer, p), first in first_quote.items():
        quoted[dealer] += 1
        converted[dealer] += any(
            first <= o < first + day60 for o in ordered_on[(dealer, p)]
        )
    # Recovered: an order there after that, within 365 days of the first such quotation.
    sleepers: Counter[str] = Counter()
    recovered: Counter[str] = Counter()
    for (dealer, p), first in sleeper_first.items():
        sleepers[dealer] += 1
        recovered[dealer] += any(
            first + day60 <= o < first + day365 for o in ordered_on[(dealer, p)]
        )
    return quoted, converted, sleepers, recovered, reasons


def test_dealer_nps_per_checkpoint_matches_the_survey_extract(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
) -> None:
    kept = {
        r["id"]
        for r in driver.execute_query(
            "MATCH (s:SurveyResponse) RETURN s.sourceId AS id",
            database_=neo4j_settings.database,
        )[0]
    }
    scores: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    with (data / "nps_responses.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["subject_type"] == "dealer" and row["response_id"] in kept:
                scores[row["subject_id"]][row["checkpoint"]].append(int(row["score"]))
    code = max(scores, key=lambda d: sum(len(v) for v in scores[d].values()))
    result = execute_graphql(neo4j_settings, DEALER, {"code": code})
    assert result.errors is None, result.errors
    got = {
        g["key"]: (g["responses"], g["nps"]) for g in result.data["dealerKpis"]["nps"]
    }
    expected = {
        checkpoint: (
            len(s),
            round(100 * (sum(x >= 9 for x in s) - sum(x <= 6 for x in s)) / len(s), 2),
        )
        for checkpoint, s in scores[code].items()
    }
    assert got == expected and len(got) >= 1


def test_club_kpis_follow_the_definitions(
    neo4j_settings: Neo4jSettings, facts: dict[str, Any]
) -> None:
    customers = _customers(facts)
    by_club: dict[str, list[Any]] = defaultdict(list)
    for m in facts["members"]:
        by_club[m["c"]].append(m)
    code = max(by_club, key=lambda c: len(by_club[c]))
    rows = by_club[code]
    dealer = rows[0]["d"]
    active = {m["p"] for m in rows if m["status"] == "active"}
    result = execute_graphql(neo4j_settings, CLUB, {"code": code})
    assert result.errors is None, result.errors
    got = result.data["clubKpis"]
    assert got["dealer"] == dealer
    assert got["members"] == len(rows) > 0
    assert got["activeMembers"] == len(active)
    assert got["dealerCustomers"] == len(customers[dealer])
    assert got["customerMembers"] == len(customers[dealer] & active)
    if customers[dealer]:
        assert got["penetration"] == round(
            len(customers[dealer] & active) / len(customers[dealer]), 4
        )
    assert (
        execute_graphql(neo4j_settings, CLUB, {"code": "nope"}).data["clubKpis"] is None
    )


SLA = """
query($code: String!) {
  dealerKpis(code: $code) {
    detractors detractorsCalledBack detractorSla recoveredDetractors detractorRecoveryRate
  }
}
"""


def test_detractor_sla_and_recovery_follow_the_definitions(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    loaded: pipeline.PipelineResult,
) -> None:
    """Recomputed from the survey and care-case extracts and who each record resolved to:
    an answer of 0-6 about a dealer is called back when one of its person's cases there,
    opened within 7 days after it, called back within 24 h of the answer; recovered when
    one of them closed 'recovered' or the person answered about the dealer again with
    7-10 within 365 days."""
    db = neo4j_settings.database
    person_of = customer_of(driver, db)
    with (data / "nps_responses.csv").open(encoding="utf-8", newline="") as fh:
        answers = [
            (
                r["subject_id"],
                p,
                dt.datetime.fromisoformat(r["answered_at"]),
                int(r["score"]),
            )
            for r in csv.DictReader(fh)
            if r["subject_type"] == "dealer"
            and (p := person_of.get(f"survey/{r['response_id']}")) is not None
        ]
    with (data / "care_cases.csv").open(encoding="utf-8", newline="") as fh:
        cases: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in csv.DictReader(fh):
            p = person_of.get(f"survey/{r['response_id']}")
            if p is not None:
                cases[(r["dealer_code"], p)].append(r)
    day = dt.timedelta(days=1)
    detractors: Counter[str] = Counter()
    called: Counter[str] = Counter()
    recovered: Counter[str] = Counter()
    for dealer, p, at, score in answers:
        if score > 6:
            continue
        mine = [
            c
            for c in cases[(dealer, p)]
            if at <= dt.datetime.fromisoformat(c["opened_at"]) < at + 7 * day
        ]
        detractors[dealer] += 1
        called[dealer] += any(
            c["called_back_at"]
            and dt.datetime.fromisoformat(c["called_back_at"]) < at + day
            for c in mine
        )
        recovered[dealer] += any(c["outcome"] == "recovered" for c in mine) or any(
            d == dealer and q == p and at < later < at + 365 * day and s >= 7
            for d, q, later, s in answers
        )
    assert 0 < sum(called.values()) < sum(detractors.values())
    assert 0 < sum(recovered.values()) < sum(detractors.values())
    for code in [d for d, _ in detractors.most_common(4)] + ["NO-SUCH"]:
        result = execute_graphql(neo4j_settings, SLA, {"code": code})
        assert result.errors is None, result.errors
        got = result.data["dealerKpis"]
        if code == "NO-SUCH":
            assert got is None
            continue
        assert (got["detractors"], got["detractorsCalledBack"]) == (
            detractors[code],
            called[code],
        )
        assert got["recoveredDetractors"] == recovered[code]
        assert got["detractorSla"] == round(called[code] / detractors[code], 4)
        assert got["detractorRecoveryRate"] == round(
            recovered[code] / detractors[code], 4
        )
