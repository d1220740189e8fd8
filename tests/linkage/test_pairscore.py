"""The pure-Python pair scorer against Splink itself: same weights on every blocked pair."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import duckdb
import pandas as pd
import pytest
from splink import DuckDBAPI

from api.pipeline import Gate
from linkage import febrl, pairscore, score
from linkage import frame as frames
from linkage import settings as linkage_settings
from linkage.generate.run import generate
from linkage.pairscore import PairScorer
from linkage.records import SourceRecord
from linkage.resolve import dedupe
from linkage.settings import Comparison, LinkageSettings
from linkage.sources import ingest, load_sources
from ontology.model import default
from ontology.validate import validators

SETTINGS = linkage_settings.default()
EVERY_PAIR = 1e-300  # predict's probability threshold: keep every blocked pair
TOLERANCE = 1e-6


@dataclass
class Run:
    """A trained model, its frame rows and Splink's predictions (trained and reloaded)."""

    rows: list[dict[str, Any]]
    model: dict[str, Any]
    trained: pd.DataFrame
    reloaded: pd.DataFrame | None


def _run(table: pd.DataFrame, settings: LinkageSettings, reload: bool = True) -> Run:
    """Train as ``resolve._score`` does (linker_for, train, model_json), then predict every
    blocked pair, with the trained linker and with the saved model reloaded (the
    incremental path: ``linker_for(..., model)`` registers the saved tf tables)."""
    with duckdb.connect() as con:
        linker = score.linker_for(table, DuckDBAPI(connection=con), settings)
        score.train(linker, settings)
        trained = score.predict(linker, EVERY_PAIR)
        model = score.model_json(linker, settings)
    reloaded = None
    if reload:
        with duckdb.connect() as con:
            again = score.linker_for(table, DuckDBAPI(connection=con), settings, model)
            reloaded = score.predict(again, EVERY_PAIR)
    rows = cast(list[dict[str, Any]], table.to_dict("records"))
    return Run(rows, model, trained, reloaded)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[SourceRecord]:
    folder = tmp_path_factory.mktemp("pairscore") / "data"
    generate(1500, 11, folder)
    data = ingest(load_sources(folder / "sources.toml"))
    valid = Gate(validators(default()), list(data.quarantined)).records(data.records)
    return dedupe(valid)[0]  # resolve() dedupes before it builds the frame


@pytest.fixture(scope="module")
def customers(records: list[SourceRecord]) -> Run:
    return _run(frames.build(records), SETTINGS)


def _disagreements(
    scorer: PairScorer, rows: Sequence[Mapping[str, Any]], predicted: pd.DataFrame
) -> list[str]:
    bad = []
    columns = ["uid_l", "uid_r", "match_weight", "match_probability"]
    columns += [f"w_{name}" for name in scorer.names]
    for values in predicted[columns].itertuples(index=False):
        a, b, weight, prob, *parts = values
        got = scorer.score(rows[a], rows[b])
        if abs(got.match_weight - weight) > TOLERANCE:
            bad.append(f"{a}-{b}: match_weight {got.match_weight} != {weight}")
        if abs(got.match_probability - prob) > TOLERANCE:
            bad.append(f"{a}-{b}: probability {got.match_probability} != {prob}")
        for name, part in zip(scorer.names, parts, strict=True):
            if abs(got.weights[name] - part) > TOLERANCE:
                bad.append(f"{a}-{b}: w_{name} {got.weights[name]} != {part}")
    return bad


@pytest.mark.parametrize("path", ["trained", "reloaded"])
def test_every_blocked_customer_pair_scores_as_in_splink(
    customers: Run, path: str
) -> None:
    predicted = getattr(customers, path)
    assert isinstance(predicted, pd.DataFrame)
    scorer = PairScorer(SETTINGS, customers.model)
    assert len(predicted) > 5000
    # Every kind of outcome is exercised: matches, non-matches, tf-adjusted names.
    assert predicted["match_probability"].max() > 0.999
    assert predicted["match_probability"].min() < 0.01
    assert (predicted["w_given_name"] > 10).any()
    assert _disagreements(scorer, customers.rows, predicted) == []


@pytest.mark.slow
def test_every_blocked_febrl3_pair_scores_as_in_splink() -> None:
    """A second vocabulary: swapped names, Damerau-Levenshtein, four tf columns. u from
    200k random pairs, not 1M: the test is about reproducing a model, not its quality, and
    sampling 1M FEBRL pairs takes DuckDB ~10 s."""
    settings = linkage_settings.load(febrl.SETTINGS, febrl.COLUMNS)
    settings = replace(settings, model=replace(settings.model, u_pairs=200_000))
    run = _run(febrl.load("febrl3").drop(columns=["rec_id"]), settings, reload=False)
    scorer = PairScorer(settings, run.model)
    assert len(run.trained) > 50_000
    assert _disagreements(scorer, run.rows, run.trained) == []


def test_scoring_is_fast(customers: Run) -> None:
    scorer = PairScorer(SETTINGS, customers.model)
    pairs = [
        (customers.rows[a], customers.rows[b])
        for a, b in zip(
            customers.trained["uid_l"], customers.trained["uid_r"], strict=True
        )
    ]
    started = time.perf_counter()
    for left, right in pairs:
        scorer.score(left, right)
    per_pair = (time.perf_counter() - started) / len(pairs)
    assert per_pair < 1e-4  # measured ~4 us; a DuckDB round trip is ~100 ms


# -- one field at a time --------------------------------------------------------------------
@pytest.fixture(scope="module")
def person(records: list[SourceRecord]) -> SourceRecord:
    """A record with a name, an email and a phone, so each can be changed on its own."""
    return next(
        r
        for r in records
        if r.first_name and r.last_name and r.email_key and r.phone_key
    )


def _weights(
    scorer: PairScorer, record: SourceRecord, other: SourceRecord
) -> tuple[float, dict[str, float]]:
    scored = scorer.score(frames.row(record), frames.row(other))
    return scored.match_weight, scored.weights


def test_the_same_email_raises_the_weight_a_different_one_lowers_it(
    customers: Run, person: SourceRecord
) -> None:
    scorer = PairScorer(SETTINGS, customers.model)
    same, w_same = _weights(scorer, person, person)
    other = replace(person, email_key="someone.else@elsewhere.example")
    different, w_different = _weights(scorer, person, other)
    unknown, w_unknown = _weights(scorer, person, replace(person, email_key=None))
    assert w_same["email"] > 0 > w_different["email"]
    assert w_unknown["email"] == 0  # a missing value is no evidence either way
    assert same > unknown > different
    for name in scorer.names:  # nothing else moved
        if name != "email":
            assert w_same[name] == w_different[name] == w_unknown[name]


def test_a_typo_in_the_given_name_scores_between_same_and_different(
    customers: Run, person: SourceRecord
) -> None:
    scorer = PairScorer(SETTINGS, customers.model)
    assert person.first_name is not None
    name = person.first_name
    typo = name[:-1] + ("a" if name[-1].lower() != "a" else "e")
    weights = [
        _weights(scorer, person, replace(person, first_name=first))[1]["given_name"]
        for first in (name, typo, "Zygmunt-Xavier")
    ]
    assert weights[0] > weights[1] > weights[2]


def test_nan_is_null_like_none(customers: Run) -> None:
    """pandas' missing value, as a frame row may hold it, is SQL NULL to Splink."""
    scorer = PairScorer(SETTINGS, customers.model)
    left = customers.rows[int(customers.trained["uid_l"][0])]
    right = customers.rows[int(customers.trained["uid_r"][0])]
    for column in ("given", "email", "birth_date", "postcode", "vins"):
        with_none = scorer.score({**left, column: None}, right)
        with_nan = scorer.score({**left, column: math.nan}, right)
        assert with_nan == with_none


# -- each level kind against the SQL DuckDB runs for it -------------------------------------
STRINGS = [
    None,
    "",
    "a",
    "ab",
    "ba",
    "martha",
    "marhta",
    "abcdefghij",
    "acbdefghijxy",  # Jaro-Winkler with "abcdefghij": exactly 0.92, one bit from jellyfish's
    "abcdefgh",  # exactly 0.8 with "ab"
    "dixon",
    "dicksonx",
    "jose",
    "jos\u00e9",  # é composed
    "jose\u0301",  # é decomposed: two code points (DuckDB), one grapheme (jellyfish)
    "a\r\nb",  # CR LF: one grapheme
    "a\nb",
    "\U0001f1ee\U0001f1f9",  # a flag: two code points, one grapheme
    "\U0001f1ee",
    "x" * 70 + "abc",  # past one 64-bit word in DuckDB's bit-parallel Jaro
    "x" * 70 + "acb",
]
LISTS = [None, [], ["v1"], ["v1", "v2"], ["v2"], ["v3", None], [None]]
LEVELS = [
    {"null": "a"},
    {"exact": "a"},
    {"reversed": ["a", "b"]},
    {"jaro_winkler": "a", "threshold": 0.92},
    {"jaro_winkler": "a", "threshold": 0.8},
    {"jaro_winkler": "a", "threshold": 0.9},
    {"levenshtein": "a", "threshold": 1},
    {"levenshtein": "a", "threshold": 2},
    {"damerau": "a", "threshold": 1},
    {"damerau": "a", "threshold": 2},
    {"substr": "a", "length": 2},
    {"array": "items"},
    {"swapped": ["a", "b"], "threshold": 0.9},
    {"all": [{"exact": "b"}, {"levenshtein": "a", "threshold": 2}]},
]


def _pairs() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for (i, a_l), (j, a_r) in itertools.product(enumerate(STRINGS), repeat=2):
        b_l, b_r = STRINGS[(i + 3) % len(STRINGS)], STRINGS[(j + 5) % len(STRINGS)]
        items_l, items_r = LISTS[i % len(LISTS)], LISTS[j % len(LISTS)]
        yield (
            {"a": a_l, "b": b_l, "items": items_l},
            {"a": a_r, "b": b_r, "items": items_r},
        )
        # the same strings with the right-hand columns swapped (reversed, swapped levels)
        yield (
            {"a": a_l, "b": a_r, "items": items_l},
            {"a": a_r, "b": a_l, "items": items_r},
        )


@pytest.mark.parametrize("level", LEVELS, ids=lambda lv: "-".join(map(str, lv)))
def test_each_level_kind_holds_exactly_when_duckdb_says_so(
    level: dict[str, Any],
) -> None:
    (sql,) = [
        lv["sql_condition"]
        for lv in score.comparison(Comparison("t", (level,))).create_comparison_dict(
            "duckdb"
        )["comparison_levels"]
        if lv["sql_condition"] != "ELSE"
    ]
    pairs = list(_pairs())
    table = pd.DataFrame(
        [
            {f"{k}_l": v for k, v in left.items()}
            | {f"{k}_r": v for k, v in right.items()}
            for left, right in pairs
        ]
    )
    con = duckdb.connect()
    con.register("pairs", table)
    # A level holds when its condition is true; NULL falls through, like false.
    duck = [
        bool(v)
        for (v,) in con.execute(
            f"SELECT coalesce(({sql}), false) FROM pairs"  # noqa: S608 - Splink's own SQL
        ).fetchall()
    ]
    con.close()
    test = pairscore.level_test(level)
    assert test is not None
    ours = [test(left, right) for left, right in pairs]
    wrong = [
        (left["a"], right["a"], left["b"], right["b"], d)
        for (left, right), o, d in zip(pairs, ours, duck, strict=True)
        if o != d
    ]
    assert wrong == []
    assert any(duck) and not all(duck)


def test_string_metrics_are_duckdbs_to_the_last_bit() -> None:
    strings = [s for s in STRINGS if s is not None]
    pairs = list(itertools.product(strings, repeat=2))
    con = duckdb.connect()
    con.register("pairs", pd.DataFrame(pairs, columns=["x", "y"]))
    duck = con.execute(
        "SELECT jaro_winkler_similarity(x, y), levenshtein(x, y),"
        " damerau_levenshtein(x, y) FROM pairs"
    ).fetchall()
    con.close()
    ours = [
        (
            pairscore.jaro_winkler(x, y),
            pairscore.levenshtein(x, y),
            pairscore.damerau_levenshtein(x, y),
        )
        for x, y in pairs
    ]
    assert ours == duck
    assert pairscore.jaro_winkler("abcdefghij", "acbdefghijxy") == 0.92


def test_a_model_from_other_settings_is_refused(customers: Run) -> None:
    febrl_settings = linkage_settings.load(febrl.SETTINGS, febrl.COLUMNS)
    with pytest.raises(ValueError, match="comparisons"):
        PairScorer(febrl_settings, customers.model)
    changed = replace(
        SETTINGS,
        model=replace(
            SETTINGS.model,
            comparisons=tuple(
                replace(c, levels=c.levels[:-1]) if c.name == "given_name" else c
                for c in SETTINGS.model.comparisons
            ),
        ),
    )
    with pytest.raises(ValueError, match="given_name"):
        PairScorer(changed, customers.model)


def test_probability_is_splinks_on_both_sides_of_zero() -> None:
    assert pairscore.probability(0.0) == 0.5
    assert pairscore.probability(3.0) == pytest.approx(8 / 9)
    assert pairscore.probability(-3.0) == pytest.approx(1 / 9)
    assert pairscore.probability(-5000.0) == 0.0
    assert pairscore.probability(5000.0) == 1.0
