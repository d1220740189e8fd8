"""Why two source records are (or are not) one customer, from the same code that decided.

Rules are evaluated by ``linkage.rules`` on a two-row table, the score comes from the saved
Splink model (with its term frequencies), and the guards from ``linkage.cluster`` on the
two records, so an explanation cannot drift from the resolution it explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI

from linkage import frame as frames
from linkage import rules, score
from linkage.cluster import Edge, cluster
from linkage.records import SourceRecord
from linkage.resolve import guard_person
from linkage.settings import LinkageSettings


@dataclass(frozen=True)
class Feature:
    comparison: str
    level: str
    weight: float | None  # log2 Bayes factor: > 0 speaks for a match


@dataclass(frozen=True)
class Explanation:
    rules: tuple[tuple[str, str], ...]  # (rule, evidence) that hold for the pair
    probability: float | None  # None without a trained model
    features: tuple[Feature, ...]
    guard: str | None  # the conflict that keeps the two apart, if any


def explain(
    a: SourceRecord,
    b: SourceRecord,
    settings: LinkageSettings,
    model: dict[str, Any] | None,
) -> Explanation:
    rows = [frames.row(a), frames.row(b)]
    table = frames.table(rows)
    con = duckdb.connect()
    try:
        con.register("frame", table)
        found = set(rules.match(con, settings.rules, max_block=2).pairs["rule"])
        held = tuple((r.name, r.evidence) for r in settings.rules if r.name in found)
        probability: float | None = None
        features: tuple[Feature, ...] = ()
        if model is not None:
            probability, features = _score(con, table, rows, settings, model)
    finally:
        con.close()
    people = [guard_person(row, settings) for row in rows]
    refused = cluster(
        people,
        [Edge(0, 1, 1.0, "probe")],
        (),
        settings.guards,
    ).refused
    return Explanation(
        held, probability, features, refused[0].reason if refused else None
    )


def _score(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    rows: list[dict[str, Any]],
    settings: LinkageSettings,
    model: dict[str, Any],
) -> tuple[float, tuple[Feature, ...]]:
    linker = score.linker_for(table, DuckDBAPI(connection=con), settings, model)
    left, right = ({"unique_id": i, **row} for i, row in enumerate(rows))
    scored = linker.inference.score_pair(left, right).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    row = scored.iloc[0].to_dict()
    features = []
    for c in model["comparisons"]:
        name = c["output_column_name"]
        gamma = int(row[f"gamma_{name}"])
        # gamma counts down from the most specific non-null level to 0 (else); -1 is null.
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        if gamma < 0:
            features.append(Feature(name, "blank on one side", None))
            continue
        weight = float(row.get(f"mw_{name}") or 0.0) + float(
            row.get(f"mw_tf_adj_{name}") or 0.0
        )
        label = str(levels[len(levels) - 1 - gamma].get("label_for_charts", gamma))
        features.append(Feature(name, label, weight))
    return float(row["match_probability"]), tuple(features)
