"""RFM and CLV per customer (domain brief §6), stored on each person after every batch load.

Purchases are orders. A customer with at least one order in the window W (5 years up to the
scoring day) is scored; others keep no value, as there is nothing to score. R, F and M are
1-5 by quintile within the customer's country (the brand is the data set's): R of the days
since the last order (fewer days, higher score), F of the orders in W, M of their amount.
Equal values share a score (the quintile of their average rank), so ties never split at
random. Labels: ``vvip`` if R, F and M are all >= 4, ``one_timer`` if F = 1, ``inactive`` if
R <= 2, else ``regular`` (checked in that order).

CLV = sum over t = 0..T of margin * p * r^t / (1 + i)^t - AC, with p the average yearly spend
over W (vehicles only: the sources hold no service or accessory amounts), margin 0.25 on
vehicles, retention r = 0.75, interest i = 0.08, T = 10 years and the acquisition cost AC
(800 for a motorcycle brand). The inputs are stored beside the scores, and ``valueModel``
names the formula version and its parameters, so each score says what produced it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, LiteralString

import neo4j

from graph import load

VERSION = "rfm-1/clv-1"


@dataclass(frozen=True)
class ValueModel:
    window_years: int = 5
    margin: float = 0.25
    retention: float = 0.75
    interest: float = 0.08
    horizon_years: int = 10
    acquisition_cost: float = 800.0

    def describe(self) -> str:
        return (
            f"{VERSION} W={self.window_years}y margin={self.margin} r={self.retention} "
            f"i={self.interest} T={self.horizon_years}y AC={self.acquisition_cost:g}"
        )

    def clv(self, yearly_spend: float) -> float:
        growth = self.retention / (1 + self.interest)
        factor = sum(growth**t for t in range(self.horizon_years + 1))
        return self.margin * yearly_spend * factor - self.acquisition_cost


ORDERS: LiteralString = """
MATCH (p:Person)-[:HAD]->(o:Order)
WHERE o.at > $asOf - duration({years: $years}) AND o.at <= $asOf
RETURN p.id AS id, p.countryCode AS country, max(o.at) AS last, count(o) AS orders,
       sum(coalesce(o.amount, 0.0)) AS spend
"""

# A person no longer scored (no order in the window now) keeps no stale value.
CLEAR: LiteralString = """
MATCH (p:Person)
WHERE p.valueScoredAt IS NOT NULL AND NOT EXISTS {
  MATCH (p)-[:HAD]->(o:Order)
  WHERE o.at > $asOf - duration({years: $years}) AND o.at <= $asOf
}
REMOVE p.daysSincePurchase, p.purchasesInWindow, p.spendInWindow, p.rfmRecency,
       p.rfmFrequency, p.rfmMonetary, p.rfmLabel, p.clv, p.valueScoredAt, p.valueModel
"""

WRITE: LiteralString = """
UNWIND $rows AS r
MATCH (p:Person {id: r.id})
SET p += r.props
"""


def quintiles(values: dict[str, float]) -> dict[str, int]:
    """1-5 per key by the quintile of its value's average rank (ties share a score)."""
    ordered = sorted(values.values())
    n = len(ordered)
    first: dict[float, int] = {}
    last: dict[float, int] = {}
    for i, v in enumerate(ordered, 1):
        first.setdefault(v, i)
        last[v] = i
    return {
        k: max(1, math.ceil(5 * ((first[v] + last[v]) / 2) / n))
        for k, v in values.items()
    }


def label(r: int, f: int, m: int, orders: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "vvip"
    if orders == 1:
        return "one_timer"
    if r <= 2:
        return "inactive"
    return "regular"


def scores(
    rows: list[dict[str, Any]], as_of: dt.datetime, model: ValueModel
) -> list[dict[str, Any]]:
    """One row per purchaser (``id, country, last, orders, spend``): inputs and scores."""
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_country[r["country"] or ""].append(r)
    out = []
    for group in by_country.values():
        days = {r["id"]: (as_of.date() - r["last"].date()).days for r in group}
        recency = quintiles({k: -d for k, d in days.items()})  # recent = high
        frequency = quintiles({r["id"]: r["orders"] for r in group})
        monetary = quintiles({r["id"]: r["spend"] for r in group})
        for r in group:
            pid = r["id"]
            R, F, M = recency[pid], frequency[pid], monetary[pid]  # noqa: N806 - the KPI's letters
            out.append(
                {
                    "id": pid,
                    "props": {
                        "daysSincePurchase": days[pid],
                        "purchasesInWindow": r["orders"],
                        "spendInWindow": round(float(r["spend"]), 2),
                        "rfmRecency": R,
                        "rfmFrequency": F,
                        "rfmMonetary": M,
                        "rfmLabel": label(R, F, M, r["orders"]),
                        "clv": round(model.clv(r["spend"] / model.window_years), 2),
                        "valueScoredAt": as_of,
                        "valueModel": model.describe(),
                    },
                }
            )
    return sorted(out, key=lambda r: r["id"])


def update(
    driver: neo4j.Driver,
    as_of: dt.datetime,
    database: str = "neo4j",
    model: ValueModel | None = None,
) -> int:
    """Score every purchaser at ``as_of`` and store it; the number of people scored."""
    model = model or ValueModel()
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    found, _, _ = driver.execute_query(
        ORDERS, asOf=as_of, years=model.window_years, database_=database
    )
    rows = scores(
        [{**r.data(), "last": r["last"].to_native()} for r in found], as_of, model
    )
    driver.execute_query(
        CLEAR, asOf=as_of, years=model.window_years, database_=database
    )
    load.load_rows(driver, WRITE, rows, what="customer value", database=database)
    return len(rows)
