"""Splink's score for one pair, in pure Python: microseconds instead of a DuckDB round trip.

Incremental resolution scores one new record against a handful of candidates; Splink's SQL
pipeline costs ~100 ms a call whatever the number of pairs. ``PairScorer`` compiles the
settings' comparison levels into Python predicates and takes every parameter from the saved
model (``score.model_json``: m, u, the prior, the term-frequency tables), so its
``match_weight`` and ``match_probability`` are Splink's own (tests/linkage/test_pairscore.py
holds it to Splink's predict on every blocked pair).

Splink's parameter rules (defaults for an m or u training never saw, the 1e-300 clamp, the
term-frequency u of the exact-match level) are read from Splink's own ``Comparison`` built
from the model, not re-implemented. The string metrics follow DuckDB where jellyfish differs:

- DuckDB measures code points, jellyfish grapheme clusters ('e' + a combining accent is two
  characters to DuckDB, one to jellyfish; so is CR LF): a string that is not plain ASCII is
  mapped one code point to one private-use character before jellyfish sees it.
- DuckDB's Jaro-Winkler adds the prefix boost with a fused multiply-add, so it can differ from
  jellyfish's in the last bit, which decides ``>= 0.92`` when the true value is exactly 0.92:
  a similarity within 1e-12 of its threshold is recomputed the way DuckDB does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from typing import Any

from jellyfish import (
    damerau_levenshtein_distance,
    jaro_similarity,
    jaro_winkler_similarity,
    levenshtein_distance,
)
from splink.internals.comparison import Comparison as SplinkComparison
from splink.internals.comparison_level import ComparisonLevel
from splink.internals.misc import prob_to_match_weight

from linkage import score
from linkage.settings import Comparison, LinkageSettings

Row = Mapping[str, Any]
Test = Callable[[Row, Row], bool]
_NEAR = 1e-12  # a Jaro-Winkler this close to its threshold: recomputed as DuckDB does
_PRIVATE_USE = 0xF0000  # plane 15: one grapheme per character, whatever the neighbours


@dataclass(frozen=True, slots=True)
class Scored:
    """One pair's score; ``weights[name]`` is ``score.predict``'s ``w_<name>`` (log2 Bayes
    factor of the comparison's level, term-frequency adjustment included)."""

    match_weight: float
    match_probability: float
    weights: dict[str, float]


def _missing(value: Any) -> bool:
    """SQL NULL as Splink sees a frame cell: None, or a float NaN (pandas' missing value)."""
    return value is None or (value.__class__ is float and value != value)


def _codepoints(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` as jellyfish must see them to count code points, as DuckDB does."""
    if a.isascii() and b.isascii() and "\r" not in a and "\r" not in b:
        return a, b  # ASCII graphemes are code points, except CR LF
    table = {ord(c): _PRIVATE_USE + i for i, c in enumerate(set(a) | set(b))}
    return a.translate(table), b.translate(table)


def levenshtein(a: str, b: str) -> int:
    """DuckDB's ``levenshtein``."""
    return levenshtein_distance(*_codepoints(a, b))


def damerau_levenshtein(a: str, b: str) -> int:
    """DuckDB's ``damerau_levenshtein`` (unrestricted: transposed letters may be edited between)."""
    return damerau_levenshtein_distance(*_codepoints(a, b))


def jaro_winkler(a: str, b: str) -> float:
    """DuckDB's ``jaro_winkler_similarity``, to the last bit."""
    return _jaro_winkler(*_codepoints(a, b))


def _jaro_winkler(a: str, b: str) -> float:
    sim = jaro_similarity(a, b)  # equal to DuckDB's jaro_similarity
    if sim <= 0.7:
        return sim
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    # DuckDB: sim += prefix * 0.1 * (1 - sim), compiled as fma(prefix * 0.1, 1 - sim, sim).
    fused = Fraction(prefix * 0.1) * Fraction(1.0 - sim) + Fraction(sim)
    return min(float(fused), 1.0)


# -- levels: settings -> predicates over two rows (SQL NULL in any operand: the level fails).
# Hot path: None is tested inline; a NaN is found by the TypeError or AttributeError it
# raises in the metric, so present strings pay nothing for it.
def _equal(a: str, b: str) -> Test:
    """``a_l = b_r`` (exact: ``a == b``; reversed: two columns). NaN equals nothing."""

    def test(left: Row, right: Row) -> bool:
        x = left[a]
        return x is not None and x == right[b]

    return test


def _null(col: str) -> Test:
    def test(left: Row, right: Row) -> bool:
        x, y = left[col], right[col]
        return (
            x is None
            or y is None
            or (x.__class__ is float and x != x)
            or (y.__class__ is float and y != y)
        )

    return test


def _prefix(col: str, length: int) -> Test:
    """``SUBSTRING(c_l, 1, n) = SUBSTRING(c_r, 1, n)`` (code points, like Python's slices)."""

    def test(left: Row, right: Row) -> bool:
        x, y = left[col], right[col]
        if x is None or y is None:
            return False
        try:
            return bool(x[:length] == y[:length])
        except TypeError:
            if _missing(x) or _missing(y):
                return False
            raise

    return test


def _strings(x: Any, y: Any) -> tuple[str, str] | None:
    """Both values as strings counted the way DuckDB counts (code points), or None when
    either is missing (None or NaN)."""
    if x is None or y is None:
        return None
    try:
        if not (x.isascii() and y.isascii()) or "\r" in x or "\r" in y:
            x, y = _codepoints(x, y)
    except (TypeError, AttributeError):
        if _missing(x) or _missing(y):
            return None
        raise
    return x, y


def _distance(col: str, limit: int, metric: Callable[[str, str], int]) -> Test:
    """``metric(c_l, c_r) <= limit`` for an edit distance."""

    def test(left: Row, right: Row) -> bool:
        pair = _strings(left[col], right[col])
        if pair is None:
            return False
        x, y = pair
        # One edit changes the length by one at most: a cheap, exact early answer.
        return abs(len(x) - len(y)) <= limit and metric(x, y) <= limit

    return test


def _jw(a: str, b: str, threshold: float) -> Test:
    """``jaro_winkler_similarity(a_l, b_r) >= threshold``: jellyfish's value, unless it is
    too close to the threshold for jellyfish's rounding to give DuckDB's answer."""

    def test(left: Row, right: Row) -> bool:
        pair = _strings(left[a], right[b])
        if pair is None:
            return False
        x, y = pair
        sim = jaro_winkler_similarity(x, y)
        if abs(sim - threshold) > _NEAR:
            return sim >= threshold
        return _jaro_winkler(x, y) >= threshold

    return test


def _shared(col: str) -> Test:
    """``array_length(list_intersect(c_l, c_r)) >= 1``; DuckDB's intersection drops NULLs."""

    def test(left: Row, right: Row) -> bool:
        x, y = left[col], right[col]
        if x is None or y is None:
            return False
        try:
            common = set(x).intersection(y)
        except TypeError:
            if _missing(x) or _missing(y):
                return False
            raise
        common.discard(None)
        return bool(common)

    return test


def _both(first: Test, second: Test) -> Test:
    """``(first) AND (second)``: a NULL in either fails it, like a false."""
    return lambda left, right: first(left, right) and second(left, right)


def level_test(level: Mapping[str, Any]) -> Test | None:
    """The predicate of one settings level (None: ELSE): true exactly when the SQL that
    ``score.comparison`` makes of the level is true in DuckDB (NULL counts as false)."""
    if "else" in level:
        return None
    if "all" in level:
        parts = tuple(level_test(sub) for sub in level["all"])
        if any(p is None for p in parts):
            raise ValueError(f"'else' inside 'all': {level}")
        return reduce(_both, (p for p in parts if p is not None))
    if "null" in level:
        return _null(level["null"])
    if "exact" in level:
        return _equal(level["exact"], level["exact"])
    if "reversed" in level:
        a, b = level["reversed"]
        return _equal(a, b)
    if "jaro_winkler" in level:
        col = level["jaro_winkler"]
        return _jw(col, col, float(level["threshold"]))
    if "levenshtein" in level:
        col, k = level["levenshtein"], int(level["threshold"])
        return _distance(col, k, levenshtein_distance)
    if "substr" in level:
        return _prefix(level["substr"], int(level["length"]))
    if "damerau" in level:
        col, k = level["damerau"], int(level["threshold"])
        # score._make: Levenshtein <= 2k AND Damerau-Levenshtein <= k; the second implies
        # the first (one Damerau edit is two Levenshtein edits at most).
        return _distance(col, k, damerau_levenshtein_distance)
    if "swapped" in level:
        a, b = level["swapped"]
        th = float(level.get("threshold", 1.0))
        return _both(_jw(a, b, th), _jw(b, a, th))
    if "array" in level:
        return _shared(level["array"])
    raise ValueError(f"unknown level {level}")


# -- parameters: the saved model -> weights -----------------------------------------------
@dataclass(frozen=True, slots=True)
class _TermFrequency:
    """Splink's tf adjustment: weight * (log2 u(exact match) - log2 max(tf_l, tf_r, min u))."""

    column: str
    frequencies: dict[str, float]
    log2_u: float
    weight: float
    minimum: float

    def adjustment(self, left: Row, right: Row) -> float:
        tf_l = self.frequencies.get(left[self.column])
        tf_r = self.frequencies.get(right[self.column])
        if tf_l is None:
            if tf_r is None:
                return 0.0  # a value the model never saw: no adjustment, as in Splink
            tf_l = tf_r
        elif tf_r is None:
            tf_r = tf_l
        return self.weight * (self.log2_u - math.log2(max(tf_l, tf_r, self.minimum)))


@dataclass(frozen=True, slots=True)
class _Level:
    test: Test | None  # None: ELSE
    weight: float  # log2 Bayes factor, 0 for a null level
    tf: _TermFrequency | None


def _levels(
    spec: Comparison, model: Mapping[str, Any], tables: Mapping[str, Any]
) -> tuple[_Level, ...]:
    expected = score.comparison(spec).create_comparison_dict("duckdb")
    sql = [lv["sql_condition"] for lv in expected["comparison_levels"]]
    saved = model["comparison_levels"]
    if [lv["sql_condition"] for lv in saved] != sql:
        raise ValueError(
            f"comparison {spec.name}: the model's levels are not the settings' "
            f"(model {[lv['sql_condition'] for lv in saved]}, settings {sql})"
        )
    levels = list(spec.levels)
    if "else" not in levels[-1]:
        levels.append({"else": True})  # score.comparison adds it
    splink = SplinkComparison(**model, sqlglot_dialect="duckdb")
    out = []
    for level, cl in zip(levels, splink.comparison_levels, strict=True):
        out.append(
            _Level(
                level_test(level),
                float(cl._match_weight),
                _term_frequency(cl, splink.comparison_levels, tables),
            )
        )
    if out[-1].test is not None:
        raise ValueError(f"comparison {spec.name}: the last level must be ELSE")
    return tuple(out)


def _term_frequency(
    cl: ComparisonLevel, levels: list[ComparisonLevel], tables: Mapping[str, Any]
) -> _TermFrequency | None:
    if not cl._has_tf_adjustments or cl._tf_adjustment_weight == 0:
        return None
    column = str(cl._tf_adjustment_input_column_name)
    if column not in tables:
        raise ValueError(f"the model has no term-frequency table for {column!r}")
    return _TermFrequency(
        column,
        {str(k): float(v) for k, v in tables[column].items()},
        math.log2(cl._u_probability_corresponding_to_exact_match(levels)),
        float(cl._tf_adjustment_weight),
        float(cl._tf_minimum_u_value),
    )


class PairScorer:
    """Score pairs of frame rows (``frame.row``) with a saved Splink model, no database.

    ``left`` is Splink's ``_l`` side (the lower ``unique_id`` of a dedupe run): like Splink,
    a ``reversed`` level compares ``left[a]`` with ``right[b]`` only, so order can matter.
    """

    def __init__(self, settings: LinkageSettings, model: Mapping[str, Any]) -> None:
        specs = settings.model.comparisons
        saved = model["comparisons"]
        names = [c.name for c in specs]
        if [c["output_column_name"] for c in saved] != names:
            raise ValueError(
                f"the model's comparisons {[c['output_column_name'] for c in saved]} "
                f"are not the settings' {names}"
            )
        tables = model.get(score.TF_KEY, {})
        self.names: tuple[str, ...] = tuple(names)
        self.prior: float = prob_to_match_weight(
            float(model["probability_two_random_records_match"])
        )
        self._comparisons = tuple(
            (spec.name, _levels(spec, c, tables))
            for spec, c in zip(specs, saved, strict=True)
        )

    def score(self, left: Row, right: Row) -> Scored:
        """Splink's match weight and probability for one pair, and each comparison's share."""
        total = self.prior
        weights: dict[str, float] = {}
        for name, levels in self._comparisons:
            for level in levels:
                if level.test is None or level.test(left, right):
                    break
            weight = level.weight
            total += weight
            if level.tf is not None:
                adjustment = level.tf.adjustment(left, right)
                total += adjustment  # Splink adds mw and mw_tf_adj in this order
                weight += adjustment
            weights[name] = weight
        return Scored(total, probability(total), weights)


def probability(match_weight: float) -> float:
    """Splink's match probability of a match weight (no overflow either side of zero)."""
    if match_weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -match_weight))
    odds = math.pow(2.0, match_weight)
    return odds / (1.0 + odds)
