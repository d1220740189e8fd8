"""RFM and CLV: the domain brief's formulas on hand-made rows, and on a generated graph."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import neo4j
import pytest

from graph import customer_value as cv
from graph import influence, load
from graph.connection import Neo4jSettings

AS_OF = dt.datetime(2026, 6, 30)


def test_quintiles_rank_values_and_ties_share_a_score() -> None:
    ten = {f"k{i}": float(i) for i in range(10)}
    assert [cv.quintiles(ten)[f"k{i}"] for i in range(10)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
    ]
    tied = cv.quintiles({"a": 1, "b": 1, "c": 1, "d": 2})
    assert tied["a"] == tied["b"] == tied["c"] == 3 and tied["d"] == 5
    assert cv.quintiles({"only": 7.0}) == {"only": 5}


@pytest.mark.parametrize(
    ("rfm", "orders", "expected"),
    [
        ((4, 4, 4), 3, "vvip"),
        ((5, 4, 5), 1, "vvip"),  # the brief's order: VVIP first
        ((5, 1, 3), 1, "one_timer"),
        ((2, 3, 3), 2, "inactive"),
        ((3, 3, 3), 2, "regular"),
    ],
)
def test_labels(rfm: tuple[int, int, int], orders: int, expected: str) -> None:
    assert cv.label(*rfm, orders) == expected


def test_clv_is_the_briefs_formula() -> None:
    model = cv.ValueModel()
    p = 20_000.0
    expected = sum(0.25 * p * 0.75**t / 1.08**t for t in range(11)) - 800
    assert model.clv(p) == pytest.approx(expected)
    assert model.clv(0) == -800


def test_scores_rank_within_each_country() -> None:
    day = dt.datetime(2026, 1, 1)
    rows = [
        {
            "id": "it-old",
            "country": "IT",
            "last": day - dt.timedelta(days=900),
            "orders": 1,
            "spend": 9000.0,
        },
        {
            "id": "it-new",
            "country": "IT",
            "last": day - dt.timedelta(days=10),
            "orders": 3,
            "spend": 60000.0,
        },
        {
            "id": "de-old",
            "country": "DE",
            "last": day - dt.timedelta(days=2000),
            "orders": 1,
            "spend": 100.0,
        },
    ]
    got = {r["id"]: r["props"] for r in cv.scores(rows, day, cv.ValueModel())}
    assert got["it-new"]["rfmRecency"] == 5 and got["it-old"]["rfmRecency"] == 3
    assert got["de-old"]["rfmRecency"] == 5  # alone in its country
    assert got["it-old"]["rfmLabel"] == "one_timer"
    assert got["it-new"]["daysSincePurchase"] == 10
    assert got["it-new"]["clv"] == round(cv.ValueModel().clv(60000.0 / 5), 2)
    assert got["it-new"]["valueModel"].startswith(cv.VERSION)


@pytest.mark.neo4j
def test_stored_scores_match_the_orders(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    """Hand-made orders in Neo4j: who is scored, with which inputs, and stale values cleared."""
    db = neo4j_settings.database
    clean_graph.execute_query(
        """
        UNWIND $people AS x
        CREATE (p:Person {id: x.id, countryCode: 'IT', displayName: x.id})
        WITH p, x UNWIND x.orders AS o
        CREATE (p)-[:HAD]->(:Touchpoint:Order {sourceId: x.id + o.days, source: 'dealer_crm',
               at: $asOf - duration({days: o.days}), amount: o.amount})
        """,
        people=[
            {
                "id": "a",
                "orders": [
                    {"days": 30, "amount": 20000.0},
                    {"days": 400, "amount": 18000.0},
                ],
            },
            {"id": "b", "orders": [{"days": 700, "amount": 15000.0}]},
            {
                "id": "c",
                "orders": [{"days": 3000, "amount": 30000.0}],
            },  # outside the window
        ],
        asOf=AS_OF,
        database_=db,
    )
    clean_graph.execute_query(
        "CREATE (:Person {id: 'stale', displayName: 's', rfmLabel: 'vvip', clv: 1.0, "
        "valueScoredAt: $asOf})",
        asOf=AS_OF,
        database_=db,
    )
    assert cv.update(clean_graph, AS_OF, db) == 2
    rows, _, _ = clean_graph.execute_query(
        "MATCH (p:Person) RETURN p.id AS id, p.purchasesInWindow AS n, p.spendInWindow AS spend, "
        "p.daysSincePurchase AS days, p.rfmLabel AS label, p.clv AS clv",
        database_=db,
    )
    got = defaultdict(dict, {r["id"]: r.data() for r in rows})
    assert (got["a"]["n"], got["a"]["spend"], got["a"]["days"]) == (2, 38000.0, 30)
    assert (got["b"]["n"], got["b"]["days"], got["b"]["label"]) == (1, 700, "one_timer")
    assert got["a"]["clv"] == round(cv.ValueModel().clv(38000.0 / 5), 2)
    assert got["c"]["n"] is None and got["stale"]["label"] is None


def test_golden_record_writes_keep_every_computed_property() -> None:
    """``load.PERSONS`` replaces a person's properties but must keep the batch-computed ones."""
    row = {"id": "x", "country": "IT", "last": AS_OF, "orders": 1, "spend": 1.0}
    computed = set(cv.scores([row], AS_OF, cv.ValueModel())[0]["props"])
    computed |= set(re.findall(r"p\.(\w+) = r\.", influence.WRITE))
    assert len(computed) >= 13
    assert {k for k in computed if f"'{k}'" not in load.PERSONS} == set()
