"""Incremental resolution: one record at a time against a resolved graph in Neo4j.

Run: .venv/bin/python bench/incremental.py [PEOPLE] [--data DIR] [--home DIR] [--batch-write]
     [--pagecache 1g]
     (default 100000; needs the Neo4j jars once: ./c360 neo4j start fetches them)
Generates PEOPLE people (seed 7; or reuses DIR when it holds a generated set), holds out 1%
of the identity rows (seed 5), loads the rest into a fresh managed Neo4j (heap 2g, page
cache 1g unless told) with a bulk import (`c360 resolve --bulk-import`; `--batch-write`
uses the batch write), then resolves the held-out records one by one
(`c360 resolve --incremental`): half with a transaction per record (latency), half with 100
records per transaction (sustained rate). Prints the latency of the resolution (candidate
read + decision) and of a whole transaction, the rate (records per second of the resolving
transactions; the delta's touchpoints and referrals are written after them, timed apart),
where the time goes, and how many customers the delta brought no evidence to kept their ID.

``--home DIR`` keeps the held-out files and the loaded graph (before the delta) in DIR; a
later run with the same DIR copies that graph and resolves the delta against the copy,
without loading again (1M people take about 35 min to load here).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import neo4j

from api import bulk_load, incremental, pipeline
from api.cli.output import ProgressPrinter
from graph.connection import connect
from graph.server import ManagedNeo4j, Memory
from linkage import settings as linkage_settings
from linkage.generate.holdout import holdout
from linkage.generate.run import generate
from ontology.model import default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="a generated data set to reuse")
    parser.add_argument(
        "--batch-write",
        action="store_true",
        help="build the graph with the batch write",
    )
    parser.add_argument(
        "--home", type=Path, help="keep (or reuse) the loaded graph and delta here"
    )
    parser.add_argument(
        "--pagecache",
        default="1g",
        help="Neo4j's page cache (default 1g; the store of 1M people is about 9 GB)",
    )
    args = parser.parse_args()
    print(
        f"command: python bench/incremental.py {' '.join(sys.argv[1:])} | "
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = args.home or Path(tmp)
        if not (root / "loaded").exists():
            load(args, root, Path(tmp))
        print((root / "loaded").read_text().strip(), flush=True)
        held = int((root / "held").read_text())
        work = root / "neo4j"
        if args.home:  # the delta changes the graph: resolve it against a copy
            work = Path(tmp) / "neo4j"
            shutil.copytree(root / "neo4j", work, symlinks=True)
            (work / "c360-neo4j.json").unlink(missing_ok=True)
        server = ManagedNeo4j(work, Memory("2g", args.pagecache))
        driver = connect(server.start(port=0))
        try:
            before = assignment(driver)
            runs = []
            for part, per_transaction in (("one", 1), ("bulk", 100)):
                t0 = time.perf_counter()
                result = incremental.run(
                    driver,
                    root / part / "sources.toml",
                    default(),
                    linkage_settings.default(),
                    per_transaction=per_transaction,
                )
                runs.append((part, per_transaction, result, time.perf_counter() - t0))
            after = assignment(driver)
            formers = former_ids(driver)
        finally:
            driver.close()
            server.stop()
    touched = {after[k] for k in set(after) - set(before)}
    touched |= {f for p in touched for f in formers.get(p, [])}
    untouched = set(before.values()) - touched
    records_of: dict[str, list[tuple[str, str]]] = {}
    for key, person in before.items():
        records_of.setdefault(person, []).append(key)
    kept = sum(all(after.get(k) == p for k in records_of[p]) for p in untouched)
    print(f"delta: {held:,} rows held out")
    for part, per_transaction, result, seconds in runs:
        p = incremental.percentile
        resolving = sum(result.total_ms) / 1000
        print(
            f"{part} ({per_transaction} per transaction): {result.records:,} records in "
            f"{resolving:.1f} s of transactions = {result.records / resolving:.0f} "
            f"records/s; then {result.touchpoints:,} touchpoints and "
            f"{result.referrals:,} referrals in {result.touchpoints_s:.1f} s; "
            f"referral influence again in {result.influence_s:.1f} s; "
            f"{seconds:.1f} s in all; "
            + ", ".join(f"{n} {k}" for k, n in sorted(result.outcomes.items()))
            + f"; {len(result.quarantined):,} quarantined"
            + f" ({result.held:,} touchpoints held without a person, "
            f"{result.claimed:,} held before attached; {result.held_referrals:,} "
            f"referral mentions held, {result.claimed_referrals:,} held before linked)"
        )
        print(
            f"  per transaction: resolution (read candidates + decide) p50 "
            f"{p(result.resolve_ms, 50):.1f} ms, p95 {p(result.resolve_ms, 95):.1f} ms; "
            f"with the writes and commit: "
            f"p50 {p(result.total_ms, 50):.1f} ms, p95 {p(result.total_ms, 95):.1f} ms"
        )
        n = len(result.total_ms)
        spent = {
            "the candidate read": sum(result.read_ms),
            "deciding": sum(result.decide_ms),
            "the writes": sum(result.write_ms),
        }
        spent["commit and the rest"] = sum(result.total_ms) - sum(spent.values())
        print(
            f"  candidate read p50 {p(result.read_ms, 50):.1f} ms, "
            f"writes p50 {p(result.write_ms, 50):.1f} ms; per record: deciding p50 "
            f"{p(result.decide_ms, 50):.1f} ms, candidates p50 "
            f"{p(result.candidates, 50):.0f}, p90 {p(result.candidates, 90):.0f}, max "
            f"{max(result.candidates, default=0)}; of {n:,} transactions' time: "
            + ", ".join(
                f"{k} {v / max(sum(result.total_ms), 1e-9):.0%}"
                for k, v in spent.items()
            )
        )
    print(
        f"  IDs: {kept:,} of {len(untouched):,} customers the delta brought nothing to kept "
        f"their ID and records ({kept / max(len(untouched), 1):.3%})"
    )


def load(args: argparse.Namespace, root: Path, tmp: Path) -> None:
    """Hold out the delta (files in ``root``) and load the rest into ``root / "neo4j"``;
    ``root / "loaded"`` says how it went, ``root / "held"`` how many rows were held out."""
    source = args.data or tmp / "all"
    if not (source / "sources.toml").exists():
        generate(args.people, 7, source)
    held = holdout(source, root / "batch", root / "delta", 0.01, 5)
    holdout(root / "delta", root / "one", root / "bulk", 0.5, 6)
    server = ManagedNeo4j(root / "neo4j", Memory("2g", args.pagecache))
    driver = connect(server.start(port=0))
    try:
        t0 = time.perf_counter()
        first = pipeline.run(
            driver,
            root / "batch" / "sources.toml",
            progress=ProgressPrinter(interval=30),
            importer=None if args.batch_write else bulk_load.importer(server),
        )
    finally:
        driver.close()
        server.stop()
    how = "batch write" if args.batch_write else "bulk import"
    (root / "held").write_text(str(held))
    (root / "loaded").write_text(
        f"batch: {first.records:,} records -> {first.persons:,} customers in "
        f"{time.perf_counter() - t0:.0f} s (incl. the Neo4j {how}); "
        f"{first.held:,} touchpoints held without a person\n"
    )


def assignment(driver: neo4j.Driver) -> dict[tuple[str, str], str]:
    rows, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
        "RETURN s.source AS s, s.sourceId AS i, p.id AS p"
    )
    return {(r["s"], r["i"]): r["p"] for r in rows}


def former_ids(driver: neo4j.Driver) -> dict[str, list[str]]:
    """Each person -> the IDs it absorbed or was split from: customers a delta record
    reached through it (it merged them, or its guards refused the record and it split)."""
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE p.formerIds IS NOT NULL OR p.splitFrom IS NOT NULL "
        "RETURN p.id AS id, coalesce(p.formerIds, []) + coalesce(p.splitFrom, []) AS f"
    )
    return {r["id"]: list(r["f"]) for r in rows}


if __name__ == "__main__":
    main()
