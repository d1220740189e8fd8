"""Deterministic rules in DuckDB: exact blocks, fuzzy and name criteria, lists, junk keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from linkage import rules
from linkage.frame import build
from linkage.records import SourceRecord, VehicleClaim
from linkage.settings import Criterion, Rule, default

EXACT = Criterion("email", "exact")


def rec(
    sid: str,
    first: str | None = None,
    last: str | None = None,
    email: str | None = None,
    *,
    app: str | None = None,
    vins: tuple[str, ...] = (),
) -> SourceRecord:
    return SourceRecord(
        source="web_form",
        source_id=sid,
        updated_at=None,
        first_name=first,
        last_name=last,
        email=email,
        phone=None,
        country="IT",
        preferred_dealer=None,
        email_key=email,
        phone_key=None,
        app_account=app,
        vehicles=tuple(VehicleClaim(v, None, None, None) for v in vins),
    )


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def run(
    con: duckdb.DuckDBPyConnection,
    records: list[SourceRecord],
    *rule_list: Rule,
    max_block: int = 200,
) -> rules.RulePairs:
    con.register("frame", build(records))
    return rules.match(con, rule_list, max_block)


def pairs(found: rules.RulePairs) -> list[tuple[int, int, str, str]]:
    return [
        (int(a), int(b), r, v)
        for a, b, r, v in found.pairs[["uid_l", "uid_r", "rule", "value"]].itertuples(
            index=False
        )
    ]


def test_exact_rule_pairs_records_sharing_the_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    records = [
        rec("0", "Anna", app="u-1"),
        rec("1", "Marco"),
        rec("2", "Anna", app="u-1"),
        rec("3", "Luca"),  # blank keys never pair
        rec("4", "Sara", app="u-2"),
    ]
    found = run(
        con, records, Rule("same_app", "identity", (Criterion("app_account", "exact"),))
    )
    assert pairs(found) == [(0, 2, "same_app", "u-1")]
    assert found.junk == {}


def test_pairs_are_ordered_and_each_pair_is_listed_once_per_rule(
    con: duckdb.DuckDBPyConnection,
) -> None:
    records = [rec(str(i), email="x@a.it", app="u-1") for i in range(3)]
    by_email = Rule("email", "identity", (EXACT,))
    by_app = Rule("app", "identity", (Criterion("app_account", "exact"),))
    found = run(con, records, by_email, by_app)
    assert pairs(found) == [
        (0, 1, "app", "u-1"),
        (0, 1, "email", "x@a.it"),
        (0, 2, "app", "u-1"),
        (0, 2, "email", "x@a.it"),
        (1, 2, "app", "u-1"),
        (1, 2, "email", "x@a.it"),
    ]


def test_all_criteria_must_hold(con: duckdb.DuckDBPyConnection) -> None:
    records = [
        rec("0", "Anna", "Rossi", "rossi@x.it"),
        rec("1", "Anna", "Bianchi", "rossi@x.it"),
        rec("2", "Anna", "Rossi", "rossi@x.it"),
    ]
    rule = Rule("email_family", "identity", (EXACT, Criterion("family", "exact")))
    assert pairs(run(con, records, rule)) == [(0, 2, "email_family", "rossi@x.it")]


def _given_rule(blanks_match: bool) -> Rule:
    return Rule(
        "email_given",
        "identity",
        (EXACT, Criterion("given", "fuzzy", 0.9, blanks_match)),
    )


FAMILY_EMAIL = [
    rec("0", "Marco", "Rossi", "rossi@x.it"),
    rec("1", "Marko", "Rossi", "rossi@x.it"),  # typo: jaro-winkler ~0.91
    rec("2", None, "Rossi", "rossi@x.it"),  # no given name
    rec("3", "Anna", "Rossi", "rossi@x.it"),  # the partner
]


def test_fuzzy_criterion_with_blanks_matching(con: duckdb.DuckDBPyConnection) -> None:
    found = run(con, FAMILY_EMAIL, _given_rule(blanks_match=True))
    assert [(a, b) for a, b, _, _ in pairs(found)] == [(0, 1), (0, 2), (1, 2), (2, 3)]


def test_fuzzy_criterion_without_blanks_matching(
    con: duckdb.DuckDBPyConnection,
) -> None:
    found = run(con, FAMILY_EMAIL, _given_rule(blanks_match=False))
    assert [(a, b) for a, b, _, _ in pairs(found)] == [(0, 1)]


def test_fuzzy_threshold_is_respected(con: duckdb.DuckDBPyConnection) -> None:
    strict = Rule("email_given", "identity", (EXACT, Criterion("given", "fuzzy", 0.95)))
    assert pairs(run(con, FAMILY_EMAIL, strict)) == []


def test_name_method_accepts_swapped_names(con: duckdb.DuckDBPyConnection) -> None:
    records = [
        rec("0", "Anna", "Rossi", "a@x.it"),
        rec("1", "Rossi", "Anna", "a@x.it"),  # swapped on entry
        rec("2", "Marco", "Rossi", "a@x.it"),  # the partner: only "rossi" is swapped
    ]
    name = Rule("email_name", "identity", (EXACT, Criterion("given", "name", 0.9)))
    assert pairs(run(con, records, name)) == [(0, 1, "email_name", "a@x.it")]
    fuzzy = Rule("email_fuzzy", "identity", (EXACT, Criterion("given", "fuzzy", 0.9)))
    assert pairs(run(con, records, fuzzy)) == []


def test_name_method_reads_every_formal_name_of_an_ambiguous_nickname(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Max stands for Massimo or Maximilian: either may be him; the two are not each other."""
    records = [
        rec("0", "Max", "Rossi", "m@x.it"),
        rec("1", "Maximilian", "Rossi", "m@x.it"),
        rec("2", "Massimo", "Rossi", "m@x.it"),
    ]
    name = Rule(
        "email_name", "identity", (EXACT, Criterion("given_canon", "name", 0.9))
    )
    found = [(a, b) for a, b, _, _ in pairs(run(con, records, name))]
    assert found == [(0, 1), (0, 2)]
    rows = build(records).to_dict("records")
    assert rules.first_match((name,), rows[0], rows[1]) is not None  # Python agrees
    assert rules.first_match((name,), rows[1], rows[2]) is None


def test_name_method_needs_both_halves_swapped(con: duckdb.DuckDBPyConnection) -> None:
    records = [
        rec("0", "Macdonald", "Gabriela", "m@x.it"),
        rec("1", "Guy", "Macdonald", "m@x.it"),
        rec("2", "Gabriela", "Macdonald", "m@x.it"),
    ]
    name = Rule("email_name", "identity", (EXACT, Criterion("given", "name", 0.9)))
    assert [(a, b) for a, b, _, _ in pairs(run(con, records, name))] == [(0, 2)]


def test_list_field_matches_on_a_shared_element(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2, v3, v4 = (
        "ZFF00000000000001",
        "ZFF00000000000002",
        "ZFF00000000000003",
        "ZFF00000000000004",
    )
    records = [
        rec("0", "Anna", vins=(v1, v2)),
        rec("1", "Marco", vins=(v2, v3)),
        rec("2", "Sara", vins=(v4,)),
        rec("3", "Luca"),
    ]
    found = run(
        con, records, Rule("same_vehicle", "household", (Criterion("vins", "exact"),))
    )
    assert pairs(found) == [(0, 1, "same_vehicle", v2)]


def test_pair_sharing_two_list_elements_is_listed_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    v1, v2 = "ZFF00000000000001", "ZFF00000000000002"
    records = [rec("0", vins=(v1, v2)), rec("1", vins=(v1, v2))]
    found = run(
        con, records, Rule("same_vehicle", "household", (Criterion("vins", "exact"),))
    )
    ((a, b, rule, value),) = pairs(found)
    assert (a, b, rule) == (0, 1, "same_vehicle")
    assert value in {v1, v2}


def test_list_field_as_a_later_criterion(con: duckdb.DuckDBPyConnection) -> None:
    v1, v2 = "ZFF00000000000001", "ZFF00000000000002"
    records = [
        rec("0", email="a@x.it", vins=(v1,)),
        rec("1", email="a@x.it", vins=(v1, v2)),
        rec("2", email="a@x.it", vins=(v2,)),
        rec("3", email="a@x.it"),
    ]
    rule = Rule("email_vehicle", "identity", (EXACT, Criterion("vins", "exact")))
    assert [(a, b) for a, b, _, _ in pairs(run(con, records, rule))] == [(0, 1), (1, 2)]


def test_key_shared_by_too_many_records_is_skipped_and_reported(
    con: duckdb.DuckDBPyConnection,
) -> None:
    records = [rec(str(i), email="noemail@dealer.it") for i in range(4)] + [
        rec("4", email="anna@x.it"),
        rec("5", email="anna@x.it"),
    ]
    found = run(con, records, Rule("same_email", "identity", (EXACT,)), max_block=3)
    assert pairs(found) == [(4, 5, "same_email", "anna@x.it")]
    assert found.junk == {"same_email": ["noemail@dealer.it"]}


def test_key_shared_by_exactly_max_block_records_is_kept(
    con: duckdb.DuckDBPyConnection,
) -> None:
    records = [rec(str(i), email="x@a.it") for i in range(3)]
    found = run(con, records, Rule("same_email", "identity", (EXACT,)), max_block=3)
    assert len(found.pairs) == 3
    assert found.junk == {}


def test_junk_list_element_is_skipped(con: duckdb.DuckDBPyConnection) -> None:
    demo, own = "ZFF0000000000DEMO", "ZFF00000000000001"
    records = [rec(str(i), vins=(demo,)) for i in range(3)] + [
        rec("3", vins=(own,)),
        rec("4", vins=(own, demo)),
    ]
    rule = Rule("same_vehicle", "household", (Criterion("vins", "exact"),))
    found = run(con, records, rule, max_block=3)
    assert pairs(found) == [(3, 4, "same_vehicle", own)]
    assert found.junk == {"same_vehicle": [demo]}


def test_no_rules_gives_an_empty_table(con: duckdb.DuckDBPyConnection) -> None:
    found = run(con, [rec("0", email="a@x.it")])
    assert list(found.pairs.columns) == ["uid_l", "uid_r", "rule", "value"]
    assert found.pairs.empty and found.junk == {}


def test_every_default_rule_runs(con: duckdb.DuckDBPyConnection) -> None:
    settings = default()
    records = [
        rec("0", "Anna", "Rossi", "rossi@x.it", app="u-1", vins=("ZFF00000000000001",)),
        rec("1", "Anna", "Rossi", "rossi@x.it", app="u-1", vins=("ZFF00000000000001",)),
    ]
    found = run(con, records, *settings.rules)
    assert set(found.pairs["rule"]) == {
        "same_app_account",
        "same_email_same_given_name",
        "same_email",
        "same_vehicle",
    }
    assert isinstance(found.pairs, pd.DataFrame)
    assert (found.pairs["uid_l"] < found.pairs["uid_r"]).all()


def test_one_pair_rules_agree_with_duckdb_on_generated_data(tmp_path: Path) -> None:
    """rules.first_match (incremental) links exactly the pairs rules.match (batch) links."""
    from api.pipeline import Gate
    from linkage.generate.run import generate
    from linkage.sources import ingest, load_sources
    from ontology.model import default as ontology
    from ontology.validate import validators

    generate(400, 5, tmp_path)
    data = ingest(load_sources(tmp_path / "sources.toml"))
    records = Gate(validators(ontology()), []).records(data.records)
    settings = default()
    frame = build(records)
    con = duckdb.connect()
    con.register("frame", frame)
    batch = rules.match(con, settings.identity_rules, settings.max_block).pairs
    linked = {
        (int(a), int(b)) for a, b in zip(batch["uid_l"], batch["uid_r"], strict=True)
    }
    assert len(linked) > 100
    rows = frame.to_dict("records")
    for r in rows:
        for col in ("vins", "club_members"):
            if not isinstance(r[col], list):
                r[col] = None if r[col] is None or pd.isna(r[col]) else list(r[col])
        for col, v in r.items():
            if not isinstance(v, list) and v is not None and pd.isna(v):
                r[col] = None
    # Every pair, decided one at a time.
    one_by_one = set()
    for i, left in enumerate(rows):
        for j in range(i + 1, len(rows)):
            if rules.first_match(settings.identity_rules, left, rows[j]):
                one_by_one.add((i, j))
    assert one_by_one == linked
