"""Probabilistic scoring with Splink (Fellegi-Sunter), trained without labels.

Comparisons and blocking come from the settings file. Training: the prior from the
deterministic rules, u by random sampling, m by EM over the training blocks. The trained
model is plain JSON, so a later run (incremental resolution, ``c360 why``) scores with
exactly the same parameters. The Splink database API is a parameter: DuckDB by default,
Spark for data beyond one machine (``linkage.spark``). A model's JSON holds SQL in the
dialect it was trained on; ``for_dialect`` rebuilds that SQL from the settings for another
engine and keeps every trained parameter.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, Linker, SettingsCreator, block_on
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.dialects import SplinkDialect

from linkage import settings as linkage_settings
from linkage.settings import Comparison, LinkageSettings, LinkageSettingsError


class ModelMismatch(LinkageSettingsError):
    """A saved model does not line up with the settings it is used with (other comparisons,
    levels or blocking rules): retrain it with these settings (``c360 resolve --retrain``)."""


def _level(level: dict[str, Any]) -> ComparisonLevelCreator:
    made = _make(level)
    if "m" in level:  # a fixed m, for a level the training blocks cannot observe
        made = made.configure(m_probability=float(level["m"]), fix_m_probability=True)
    return made


def _make(level: dict[str, Any]) -> ComparisonLevelCreator:
    if "else" in level:
        return cll.ElseLevel()
    if "all" in level:
        return cll.And(*(_make(sub) for sub in level["all"]))
    if "null" in level:
        return cll.NullLevel(level["null"])
    if "exact" in level:
        return cll.ExactMatchLevel(
            level["exact"], term_frequency_adjustments=bool(level.get("tf", False))
        )
    if "reversed" in level:
        a, b = level["reversed"]
        return cll.ColumnsReversedLevel(a, b)
    if "jaro_winkler" in level:
        return cll.JaroWinklerLevel(level["jaro_winkler"], float(level["threshold"]))
    if "levenshtein" in level:
        return cll.LevenshteinLevel(level["levenshtein"], int(level["threshold"]))
    if "substr" in level:
        first = ColumnExpression(level["substr"]).substr(1, int(level["length"]))
        return cll.ExactMatchLevel(first)
    if "damerau" in level:
        # Damerau-Levenshtein is slow in DuckDB; DL <= k implies Levenshtein <= 2k, so the
        # cheap test first gives the same answer and prunes most pairs.
        col, k = level["damerau"], int(level["threshold"])
        return cll.And(
            cll.LevenshteinLevel(col, 2 * k), cll.DamerauLevenshteinLevel(col, k)
        )
    if "swapped" in level:
        a, b = level["swapped"]
        return SwappedLevel(a, b, float(level.get("threshold", 1.0)))
    if "array" in level:
        return cll.ArrayIntersectLevel(level["array"], min_intersection=1)
    raise ValueError(f"unknown level {level}")


class SwappedLevel(ComparisonLevelCreator):
    """Two columns swapped between the records, each side within a Jaro-Winkler threshold
    (Splink's ColumnsReversedLevel is exact only). SQL per engine, like Splink's own levels."""

    def __init__(self, a: str, b: str, threshold: float) -> None:
        self.a, self.b, self.threshold = a, b, threshold

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        jw = sql_dialect.jaro_winkler_function_name
        a, b, th = self.a, self.b, self.threshold
        return f"{jw}({a}_l, {b}_r) >= {th} AND {jw}({b}_l, {a}_r) >= {th}"

    def create_label_for_charts(self) -> str:
        return f"{self.a} and {self.b} swapped (Jaro-Winkler >= {self.threshold})"


def comparison(spec: Comparison) -> cl.CustomComparison:
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [
        _level(level) for level in spec.levels
    ]
    if "else" not in spec.levels[-1]:
        levels.append(cll.ElseLevel())
    return cl.CustomComparison(levels, output_column_name=spec.name)


def splink_settings(settings: LinkageSettings) -> SettingsCreator:
    """Always dedupe: two sources that each hold a person once are a cluster guard
    (``deduplicated_sources``), not a different Splink link type."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[comparison(c) for c in settings.model.comparisons],
        blocking_rules_to_generate_predictions=[
            block_on(*b) for b in settings.model.blocking
        ],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def train(
    linker: Linker, settings: LinkageSettings, u_chunks: int | None = None
) -> None:
    """Estimate the prior, u and m; no labels are used anywhere.

    ``u_chunks``: how many pieces Splink samples u in (its default, 10, when None: a probe
    and early stopping bound DuckDB's memory); Spark uses 1, since each piece is a job
    with about a second of overhead and the cluster holds the whole sample."""
    m = settings.model
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*r) for r in m.prior_rules], recall=m.prior_recall
    )
    if u_chunks is None:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=m.u_pairs, seed=m.seed
        )
    else:
        linker.training.estimate_u_using_random_sampling(
            max_pairs=m.u_pairs, seed=m.seed, num_chunks=u_chunks
        )
    for b in m.training:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*b), estimate_without_term_frequencies=True
        )


TF_KEY = "c360_term_frequencies"  # our addition to Splink's model JSON


def tf_columns(settings: LinkageSettings) -> list[str]:
    return sorted(
        {
            str(level["exact"])
            for c in settings.model.comparisons
            for level in c.levels
            if "exact" in level and level.get("tf")
        }
    )


def model_json(linker: Linker, settings: LinkageSettings) -> dict[str, Any]:
    """The trained model as JSON, with its term-frequency tables.

    Splink's JSON holds m and u but not the name frequencies; without them a model scoring
    a single pair (incremental resolution, ``c360 why``) would see every name as rare.
    """
    out: dict[str, Any] = json.loads(json.dumps(linker.misc.save_model_to_json()))
    tables = {}
    for col in tf_columns(settings):
        df = linker.table_management.compute_tf_table(col).as_pandas_dataframe()  # type: ignore[no-untyped-call]
        tables[col] = {
            str(v): float(f) for v, f in zip(df[col], df[f"tf_{col}"], strict=True)
        }
    out[TF_KEY] = tables
    return out


def _levels(made: cl.CustomComparison, dialect: str) -> list[dict[str, Any]]:
    as_dict = made.get_comparison(dialect).as_dict()  # type: ignore[no-untyped-call]
    return list(as_dict["comparison_levels"])


def for_dialect(
    model: dict[str, Any], dialect: str, settings: LinkageSettings | None = None
) -> dict[str, Any]:
    """``model`` (Splink's JSON plus our term frequencies) with its SQL for ``dialect``.

    A saved model's ``sql_condition`` and blocking strings are SQL of the engine that trained
    it (``model["sql_dialect"]``, DuckDB for every stored model so far). Each comparison is
    re-created from the settings vocabulary (``comparison``), whose levels write their SQL
    per engine, and only the SQL changes: m and u, fixed flags, null levels, term-frequency
    columns and weights, labels and the prior are copied level by level. The settings are
    first rendered in the model's own dialect and must give exactly the model's SQL, so a
    model trained with other settings raises ``ModelMismatch`` instead of scoring with
    parameters shifted onto the wrong levels. ``settings`` defaults to the default file.
    """
    settings = settings or linkage_settings.default()
    source = str(model.get("sql_dialect", "duckdb"))
    # An unknown engine fails here, with the names Splink knows.
    SplinkDialect.from_string(dialect)
    problems: list[str] = []
    stored = list(model.get("comparisons", []))
    specs = settings.model.comparisons
    names = [str(c.get("output_column_name")) for c in stored]
    if names != [c.name for c in specs]:
        problems.append(
            f"the model compares {names}, the settings {[c.name for c in specs]}"
        )
    comparisons = []
    for spec, saved in zip(specs, stored, strict=False):
        have = list(saved.get("comparison_levels", []))
        made = comparison(spec)
        expected = _levels(made, source)
        target = _levels(made, dialect)
        if len(have) != len(expected):
            problems.append(
                f"comparison {spec.name!r}: the model has {len(have)} levels, "
                f"the settings {len(expected)}"
            )
            continue
        levels = []
        for i, (level, want, new) in enumerate(
            zip(have, expected, target, strict=True)
        ):
            if level.get("sql_condition") != want["sql_condition"]:
                problems.append(
                    f"comparison {spec.name!r} level {i}: the model has "
                    f"{level.get('sql_condition')!r}, the settings {want['sql_condition']!r}"
                )
            levels.append(
                {**copy.deepcopy(level), "sql_condition": new["sql_condition"]}
            )
        comparisons.append({**copy.deepcopy(saved), "comparison_levels": levels})
    rules = list(model.get("blocking_rules_to_generate_predictions", []))
    blocking = [block_on(*b) for b in settings.model.blocking]
    expected_rules = [
        b.create_blocking_rule_dict(source)["blocking_rule"] for b in blocking
    ]
    if [r.get("blocking_rule") for r in rules] != expected_rules:
        problems.append(
            f"the model blocks on {[r.get('blocking_rule') for r in rules]}, "
            f"the settings on {expected_rules}"
        )
    if problems:
        raise ModelMismatch(
            f"the saved model does not fit settings {settings.version} "
            f"(retrain it): {'; '.join(problems)}"
        )
    out = copy.deepcopy(model)
    out["sql_dialect"] = dialect
    out["comparisons"] = comparisons
    out["blocking_rules_to_generate_predictions"] = [
        {k: v for k, v in b.create_blocking_rule_dict(dialect).items() if v is not None}
        for b in blocking
    ]
    return out


def linker_for(
    frame: pd.DataFrame | str,
    db_api: DatabaseAPISubClass,
    settings: LinkageSettings,
    model: dict[str, Any] | None = None,
) -> Linker:
    """A linker over ``frame``: untrained from the settings, or with a saved model
    (whose term frequencies are registered, so scores match the run that trained it).
    On an engine other than DuckDB, or for a model trained on one, the model's SQL is first
    rebuilt for the engine (``for_dialect``).
    ``frame`` is a pandas frame, or the name of a table already in the engine (a Spark
    view with its own schema, ``linkage.spark``)."""
    table = db_api.register(frame, table_name="frame_for_splink")
    if model is None:
        return Linker(table, splink_settings(settings), log_level=logging.ERROR)
    dialect = db_api.sql_dialect.sql_dialect_str
    if (dialect, model.get("sql_dialect", "duckdb")) != ("duckdb", "duckdb"):
        model = for_dialect(model, dialect, settings)  # DuckDB's own model: as saved
    spec = {k: v for k, v in model.items() if k != TF_KEY}
    linker = Linker(table, spec, log_level=logging.ERROR)
    for col, freq in model.get(TF_KEY, {}).items():
        tf = pd.DataFrame({col: list(freq), f"tf_{col}": list(freq.values())})
        registered = db_api.register(tf, table_name=f"c360_tf_{col}")
        linker.table_management.register_term_frequency_lookup(registered, col)
    return linker


def predict(linker: Linker, threshold: float) -> pd.DataFrame:
    """Scored pairs above ``threshold``: uid_l < uid_r, match_probability, w_<comparison>.

    The columns are chosen in the backend's SQL: Splink's intermediate columns (gammas, Bayes
    factors, term frequencies of both sides) would otherwise all reach pandas first, several
    times the memory of what is kept.
    """
    result = linker.inference.predict(threshold_match_probability=threshold)
    table = result.physical_name
    # The SQL names only Splink's own table and the settings' comparisons, no input values.
    empty = f"SELECT * FROM {table} LIMIT 0"
    columns = list(linker.misc.query_sql(empty, "pandas").columns)  # type: ignore[no-untyped-call]
    # Per comparison, its log2 Bayes factor (term-frequency adjustment included).
    # (Spark types a weight without term frequencies as a decimal: cast, as pandas did.)
    weights = [
        f"CAST(mw_{name}"
        + (f" + mw_tf_adj_{name}" if f"mw_tf_adj_{name}" in columns else "")
        + f" AS DOUBLE) AS w_{name}"
        for name in (
            c.removeprefix("mw_")
            for c in columns
            if c.startswith("mw_")
            and not c.startswith("mw_tf_adj_")
            and c.isidentifier()  # Splink's columns from the settings' names
        )
    ]
    sql = (
        "SELECT least(unique_id_l, unique_id_r) AS uid_l, "
        "greatest(unique_id_l, unique_id_r) AS uid_r, "
        "CAST(match_probability AS DOUBLE) AS match_probability, "
        "CAST(match_weight AS DOUBLE) AS match_weight"
        + "".join(f", {w}" for w in weights)
        + f" FROM {table}"
    )
    df = linker.misc.query_sql(sql, "pandas")  # type: ignore[no-untyped-call]
    result.drop_table_from_database_and_remove_from_cache()
    out: pd.DataFrame = df.sort_values(["uid_l", "uid_r"], ignore_index=True)
    return out
