"""Incremental resolution's quality: a held-out delta resolved against the graph, against
the truth, beside a batch of everything.

Run: .venv/bin/python bench/incremental_quality.py [PEOPLE] [--fraction 0.1] [--per-transaction 50]
     (default 3000; needs the Neo4j jars once: ./c360 neo4j start fetches them)
Generates PEOPLE people (seed 5), holds out FRACTION of the identity rows (seed 3), loads
the rest into a fresh managed Neo4j with the batch write, resolves the held-out records
(`c360 resolve --incremental`), and scores the graph's customers against the truth:
pairwise precision, recall, F1 and false-merge pairs, cluster F1, household precision. Then
a batch of everything (no Neo4j) is scored the same way: the incremental path should come
close to it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from api import incremental, pipeline
from graph.connection import connect
from graph.server import ManagedNeo4j, Memory
from linkage import evaluate
from linkage import settings as linkage_settings
from linkage.generate.holdout import holdout
from linkage.generate.run import generate
from ontology.model import default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=3000)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--per-transaction", type=int, default=50)
    args = parser.parse_args()
    print(
        f"command: python bench/incremental_quality.py {' '.join(sys.argv[1:])} | "
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    settings, model = linkage_settings.default(), default()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(args.people, 5, root / "all")
        held = holdout(root / "all", root / "batch", root / "delta", args.fraction, 3)
        truth_file = root / "all" / "truth" / "truth.csv"
        truth = evaluate.read_truth(truth_file)
        homes = evaluate.read_households(truth_file)
        server = ManagedNeo4j(root / "neo4j", Memory("1g", "512m"))
        driver = connect(server.start(port=0))
        try:
            pipeline.run(driver, root / "batch" / "sources.toml")
            t0 = time.perf_counter()
            result = incremental.run(
                driver,
                root / "delta" / "sources.toml",
                model,
                settings,
                per_transaction=args.per_transaction,
            )
            seconds = time.perf_counter() - t0
            rows, _, _ = driver.execute_query(
                "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
                "RETURN s.source AS s, s.sourceId AS i, p.id AS p"
            )
            graph = {(r["s"], r["i"]): r["p"] for r in rows}
        finally:
            driver.close()
            server.stop()
        print(
            f"delta: {held:,} rows held out, {result.records:,} records resolved in "
            f"{seconds:.1f} s, {args.per_transaction} per transaction; "
            + ", ".join(f"{n} {k}" for k, n in sorted(result.outcomes.items()))
        )
        _, _, _, full = pipeline.resolve_sources(
            root / "all" / "sources.toml", model, settings
        )
        for name, assigned in (
            ("incremental", graph),
            ("batch of everything", full.assignment()),
        ):
            report = evaluate.evaluate(assigned, truth, homes)
            h = report.household
            print(
                f"{name}: {report.pairwise.line()} false-merge pairs "
                f"{report.pairwise.false_positives:,}; cluster F1 {report.cluster.f1:.4f}; "
                f"household precision {h.precision if h else float('nan'):.4f}"
            )


if __name__ == "__main__":
    main()
