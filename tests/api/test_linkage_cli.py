"""c360 resolve, why, why-not, merge, split, never-link and linkage evaluate, against Neo4j."""

from __future__ import annotations

import json
from pathlib import Path

import neo4j
import pytest

from graph.connection import Neo4jSettings
from linkage.sources import ingest, load_sources
from tests.conftest import HANDMADE, cli_env, run_cli

BELLINI_APP, BELLINI_TICKET = "owner_app/u-5f2c", "ticketing/T-2024-7781"

pytestmark = pytest.mark.neo4j


def _person(driver: neo4j.Driver, key: str) -> str:
    source, _, source_id = key.partition("/")
    rows, _, _ = driver.execute_query(
        "MATCH (:SourceRecord {source: $s, sourceId: $i})-[:RESOLVED_TO]->(p:Person) RETURN p.id AS id",
        s=source,
        i=source_id,
    )
    return str(rows[0]["id"])


def test_why_merge_split_never_link_round_trip(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    env = cli_env(neo4j_settings, C360_ACTOR="test-operator")
    done = run_cli("resolve", "--sources", str(HANDMADE), env=env)
    assert done.returncode == 0, done.stderr
    assert "8 customers" in done.stderr
    bellini = _person(clean_graph, BELLINI_APP)

    why = run_cli("why", BELLINI_APP, BELLINI_TICKET, env=env)
    assert why.returncode == 0, why.stderr
    assert "same customer" in why.stdout
    assert "rules that hold now:" in why.stdout
    assert "model: match probability" in why.stdout

    # Split the ticket off: it becomes its own customer, the app keeps Bellini's ID.
    split = run_cli(
        "split",
        BELLINI_TICKET,
        "--reason",
        "ticket bought for a friend",
        "--sources",
        str(HANDMADE),
        env=env,
    )
    assert split.returncode == 0, split.stderr
    assert _person(clean_graph, BELLINI_APP) == bellini
    ticket_person = _person(clean_graph, BELLINI_TICKET)
    assert ticket_person != bellini
    why_not = run_cli("why-not", BELLINI_APP, BELLINI_TICKET, env=env)
    assert "different customers" in why_not.stdout
    assert f"manual decision: split of {BELLINI_TICKET}" in why_not.stdout

    # The decision survives a plain re-run, and is audited with who and why.
    again = run_cli("resolve", "--sources", str(HANDMADE), env=env)
    assert again.returncode == 0, again.stderr
    assert _person(clean_graph, BELLINI_TICKET) == ticket_person
    rows, _, _ = clean_graph.execute_query(
        "MATCH (d:LinkDecision) RETURN d.decision AS d, d.actor AS actor, d.decisionReason AS why"
    )
    assert [r.data() for r in rows] == [
        {"d": "split", "actor": "test-operator", "why": "ticket bought for a friend"}
    ]

    # Merging the two Marco Rossis by hand keeps one of their IDs and records the other.
    rossi_a, rossi_b = "dealer_crm/IT-003/A-10007", "dealer_crm/IT-011/B-7"
    ids = {_person(clean_graph, rossi_a), _person(clean_graph, rossi_b)}
    assert len(ids) == 2
    merge = run_cli(
        "merge",
        rossi_a,
        rossi_b,
        "--reason",
        "same customer, verified by phone",
        "--sources",
        str(HANDMADE),
        env=env,
    )
    assert merge.returncode == 0, merge.stderr
    survivor = _person(clean_graph, rossi_a)
    assert survivor == _person(clean_graph, rossi_b) and survivor in ids
    rows, _, _ = clean_graph.execute_query(
        "MATCH (p:Person {id: $id}) RETURN p.formerIds AS former", id=survivor
    )
    assert rows[0]["former"] == sorted(ids - {survivor})


def test_bad_record_names_are_one_clear_line(neo4j_settings: Neo4jSettings) -> None:
    env = cli_env(neo4j_settings)
    bad = run_cli("why", "no-slash", BELLINI_TICKET, env=env)
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith("c360: 'no-slash' is not source/sourceId")
    )
    assert "Traceback" not in bad.stderr


def test_evaluate_prints_the_score_line_last(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = cli_env(None)
    gen = run_cli(
        "generate",
        "--people",
        "300",
        "--seed",
        "5",
        "--out",
        str(tmp_path / "d"),
        env=env,
    )
    assert gen.returncode == 0, gen.stderr
    done = run_cli(
        "linkage",
        "evaluate",
        "--sources",
        str(tmp_path / "d" / "sources.toml"),
        "--truth",
        str(tmp_path / "d" / "truth" / "truth.csv"),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("precision=") and " recall=" in last and " f1=" in last
    precision = float(last.split()[0].split("=")[1])
    assert precision >= 0.95


def _assignment(driver: neo4j.Driver) -> dict[str, str]:
    rows, _, _ = driver.execute_query(
        "MATCH (r:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
        "RETURN r.source + '/' + r.sourceId AS record, p.id AS id"
    )
    return {r["record"]: r["id"] for r in rows}


@pytest.mark.slow
def test_resolve_on_spark_scores_with_the_stored_model(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    """``--engine spark`` with the model a DuckDB run stored: the same customers, and
    ``why`` (which scores on DuckDB) still explains them."""
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    from linkage.spark import java_home

    if java_home() is None:
        pytest.skip("Spark needs Java 17+")
    env = cli_env(neo4j_settings)
    first = run_cli("resolve", "--sources", str(HANDMADE), env=env)
    assert first.returncode == 0, first.stderr
    before = _assignment(clean_graph)
    on_spark = run_cli(
        "resolve", "--sources", str(HANDMADE), "--engine", "spark", env=env
    )
    assert on_spark.returncode == 0, on_spark.stderr
    assert "stored model reused" in on_spark.stderr
    assert _assignment(clean_graph) == before
    why = run_cli("why", BELLINI_APP, BELLINI_TICKET, env=env)
    assert "model: match probability" in why.stdout


def test_the_engine_is_refused_where_it_does_not_apply(
    neo4j_settings: Neo4jSettings,
) -> None:
    env = cli_env(neo4j_settings)
    for args in (
        ("resolve", "--sources", str(HANDMADE), "--incremental", "--engine", "spark"),
        ("linkage", "evaluate", "--dataset", "febrl4", "--engine", "spark"),
        ("resolve", "--sources", str(HANDMADE), "--engine", "flink"),
    ):
        done = run_cli(*args, env=env)
        assert done.returncode != 0, done.stderr
        assert "Traceback" not in done.stderr
        assert "engine" in done.stderr.strip().splitlines()[-1].lower()


def test_why_not_compares_the_vehicles_each_record_states(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    """Two Marco Rossis at two dealers, each with his own vehicle: the graph says which
    record states each ownership, and why-not compares the two records' vehicles (they
    differ) as the resolution did, not as if neither had one."""
    env = cli_env(neo4j_settings)
    done = run_cli("resolve", "--sources", str(HANDMADE), env=env)
    assert done.returncode == 0, done.stderr
    rows, _, _ = clean_graph.execute_query(
        "MATCH (:Person)-[o:OWNS]->(v:Vehicle) WHERE v.vin IN $vins "
        "RETURN v.vin AS vin, o.statedBy AS by",
        vins=["ZVLA800AXRN011024", "ZVLNV40A0RP033491"],
    )
    assert {r["vin"]: r["by"] for r in rows} == {
        "ZVLA800AXRN011024": ["dealer_crm/IT-003/A-10007"],
        "ZVLNV40A0RP033491": ["dealer_crm/IT-011/B-7"],
    }
    why_not = run_cli(
        "why-not", "dealer_crm/IT-003/A-10007", "dealer_crm/IT-011/B-7", env=env
    )
    assert why_not.returncode == 0, why_not.stderr
    (vins,) = [
        line for line in why_not.stdout.splitlines() if line.startswith("  vehicles:")
    ]
    assert "blank" not in vins and "(-" in vins, why_not.stdout


def test_every_quarantined_row_is_kept_in_the_file_given(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings, tmp_path: Path
) -> None:
    """``--quarantine FILE`` keeps every row the report counts, with its reason, for a
    batch and an incremental run; a file that cannot be written is one clear line before
    anything is loaded."""
    env = cli_env(neo4j_settings)
    nowhere = tmp_path / "missing" / "quarantine.jsonl"
    bad = run_cli(
        "resolve", "--sources", str(HANDMADE), "--quarantine", str(nowhere), env=env
    )
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines() == [
        f"c360: cannot write the quarantine file {nowhere}: No such file or directory"
    ]
    rows, _, _ = clean_graph.execute_query("MATCH (n) RETURN count(n) AS n")
    assert rows[0]["n"] == 0
    read = {(q.location, q.reason) for q in ingest(load_sources(HANDMADE)).quarantined}
    assert len(read) >= 3
    kept = tmp_path / "quarantine.jsonl"
    for extra in ([], ["--incremental"]):
        done = run_cli(
            "resolve",
            "--sources",
            str(HANDMADE),
            "--quarantine",
            str(kept),
            *extra,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        lines = [json.loads(line) for line in kept.read_text("utf-8").splitlines()]
        assert f"; {len(lines)} quarantined;" in done.stderr
        assert f"all {len(lines)} quarantined rows are in {kept}" in done.stderr
        assert read <= {(q["location"], q["reason"]) for q in lines}
        assert all(set(q) == {"location", "reason", "value", "field"} for q in lines)
