"""Deterministic rules, evaluated in DuckDB: one join per rule on its blocking key.

Field names come from the checked settings (``linkage.frame.COLUMNS``), never from user
data, so building the SQL from them is safe. A key value shared by more than ``max_block``
records (``noemail@...``, a dealer's own phone) is junk, not identity: its block is skipped
and reported, because comparing it would cost O(n^2) and link strangers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from linkage.frame import COLUMNS
from linkage.pairscore import jaro_winkler
from linkage.settings import Criterion, Rule


@dataclass(frozen=True)
class RulePairs:
    pairs: pd.DataFrame  # uid_l < uid_r, rule, value
    junk: dict[str, list[str]]  # rule -> key values skipped as too common


def _keys(field: str) -> str:
    if COLUMNS[field] == "list":
        return f"SELECT unique_id, unnest({field}) AS k FROM frame WHERE {field} IS NOT NULL"
    return f"SELECT unique_id, {field} AS k FROM frame WHERE {field} IS NOT NULL"


def _condition(c: Criterion) -> str:
    left, right = f"l.{c.field}", f"r.{c.field}"
    th = float(c.threshold)
    if c.method == "fuzzy":
        test = f"jaro_winkler_similarity({left}, {right}) >= {th}"
    elif c.method == "name":
        test = (
            f"(jaro_winkler_similarity({left}, {right}) >= {th} OR "
            "len(list_intersect(l.given_formals, r.given_formals)) > 0 OR "
            f"(jaro_winkler_similarity(l.given, r.family) >= {th} AND "
            f"jaro_winkler_similarity(l.family, r.given) >= {th}))"
        )
    elif COLUMNS[c.field] == "list":
        test = f"len(list_intersect({left}, {right})) > 0"
    else:
        test = f"{left} = {right}"
    if c.blanks_match:
        return f"({left} IS NULL OR {right} IS NULL OR {test})"
    return f"({left} IS NOT NULL AND {right} IS NOT NULL AND {test})"


def sql(rule: Rule, max_block: int) -> str:
    """The pairs of one rule: uid_l < uid_r and the shared key value."""
    key = rule.criteria[0].field
    where = " AND ".join(_condition(c) for c in rule.criteria[1:]) or "TRUE"
    return f"""
        WITH k AS ({_keys(key)}),
        ok AS (SELECT k FROM k GROUP BY k HAVING count(*) BETWEEN 2 AND {int(max_block)})
        SELECT a.unique_id AS uid_l, b.unique_id AS uid_r, a.k AS value
        FROM k a JOIN k b ON a.k = b.k AND a.unique_id < b.unique_id
        JOIN frame l ON l.unique_id = a.unique_id
        JOIN frame r ON r.unique_id = b.unique_id
        WHERE a.k IN (SELECT k FROM ok) AND {where}
    """


def junk_sql(rule: Rule, max_block: int) -> str:
    return f"""
        WITH k AS ({_keys(rule.criteria[0].field)})
        SELECT k FROM k GROUP BY k HAVING count(*) > {int(max_block)} ORDER BY k
    """


def match(
    con: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...], max_block: int
) -> RulePairs:
    """Every pair any rule links (a pair may appear once per rule), plus skipped junk keys."""
    frames = []
    junk: dict[str, list[str]] = {}
    for rule in rules:
        pairs = con.sql(sql(rule, max_block)).df()
        pairs.insert(2, "rule", rule.name)
        frames.append(pairs)
        skipped = [str(v[0]) for v in con.sql(junk_sql(rule, max_block)).fetchall()]
        if skipped:
            junk[rule.name] = skipped
    if not frames:
        empty = pd.DataFrame({"uid_l": [], "uid_r": [], "rule": [], "value": []})
        return RulePairs(empty, junk)
    pairs = pd.concat(frames, ignore_index=True)
    pairs = pairs.drop_duplicates(["uid_l", "uid_r", "rule"])
    return RulePairs(
        pairs.sort_values(["uid_l", "uid_r", "rule"], ignore_index=True), junk
    )


def _similar(x: Any, y: Any, threshold: float) -> bool:
    # DuckDB's value to the last bit (``pairscore``): the batch runs these rules in DuckDB.
    return bool(x and y and jaro_winkler(x, y) >= threshold)


def _holds(c: Criterion, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    x, y = left.get(c.field), right.get(c.field)
    if x is None or y is None:
        return c.blanks_match
    if c.method == "fuzzy":
        return _similar(x, y, c.threshold)
    if c.method == "name":
        return (
            _similar(x, y, c.threshold)
            or bool(
                set(left.get("given_formals") or ())
                & set(right.get("given_formals") or ())
            )
            or (
                _similar(left.get("given"), right.get("family"), c.threshold)
                and _similar(left.get("family"), right.get("given"), c.threshold)
            )
        )
    if COLUMNS[c.field] == "list":
        return bool(set(x) & set(y))
    return bool(x == y)


def first_match(
    rules: tuple[Rule, ...], left: Mapping[str, Any], right: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(rule, shared key value) of the first rule two frame rows satisfy, else None.

    The one-pair form of ``match`` for incremental resolution, where a DuckDB join per rule
    would cost more than the whole decision; a test checks both agree on every pair.
    """
    for rule in rules:
        key = rule.criteria[0]
        a, b = left.get(key.field), right.get(key.field)
        if a is None or b is None:
            continue
        if COLUMNS[key.field] == "list":
            shared = sorted(set(a) & set(b))
            if not shared:
                continue
            value = shared[0]
        elif a != b:
            continue
        else:
            value = a
        if all(_holds(c, left, right) for c in rule.criteria[1:]):
            return rule.name, str(value)
    return None
