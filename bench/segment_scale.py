"""Segment reads at scale: a segment's member count (stored and recounted) and one membership check.

Run: .venv/bin/python bench/segment_scale.py [PEOPLE] [--share S] [--home DIR]
     (default 1,000,000 people, 30% of them in the segment; loopback only)

The issue's targets are about reading materialised membership at 1M customers (count <= 1 s,
membership check p50 <= 10 ms), not about the rules. Generating and resolving 1M people takes
most of an hour here, so this builds the part of the graph those reads touch: PEOPLE
``Person`` nodes (with ids) and ``IN_SEGMENT`` memberships for a share of them, plus closed
(``until`` set) memberships for another tenth, as history, in a fresh managed Neo4j (heap
2g, page cache 1g). It then times, warm, the recount each refresh makes, and the queries the
API runs: the stored count behind ``segmentMembers { totalCount }``, the first page of
members, and the stored membership of random people (the lookup ``segmentMembership``
starts from). Prints p50/p95/max per query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from api.segments import scan_by_id
from graph import schema
from graph.connection import connect
from graph.cypher import segments as cypher
from graph.server import ManagedNeo4j, Memory
from ontology.model import default as default_ontology

BUILD = """
UNWIND range($start, $end - 1) AS i
CREATE (p:Person {id: 'p-' + toString(i), displayName: 'Person ' + toString(i)})
WITH p, i WHERE i % 1000 < $members
MATCH (s:Segment {id: 'bench'})
CREATE (p)-[:IN_SEGMENT {since: date('2026-01-01'), ruleVersion: '1',
                         evaluatedAt: localdatetime('2026-01-01T00:00')}]->(s)
"""
HISTORY = """
UNWIND range($start, $end - 1) AS i
WITH i WHERE i % 10 = 0
MATCH (p:Person {id: 'p-' + toString(i)}), (s:Segment {id: 'bench'})
CREATE (p)-[:IN_SEGMENT {since: date('2025-01-01'), until: date('2025-06-01'),
                         ruleVersion: '0', evaluatedAt: localdatetime('2025-06-01T00:00')}]->(s)
"""
CHECK = """
MATCH (p:Person {id: $person})-[m:IN_SEGMENT]->(s:Segment {id: $segment})
WHERE m.until IS NULL
RETURN m.since AS since
"""
PAGE = " WITH n ORDER BY n.id LIMIT 21 RETURN collect(n.id) AS ids"  # after a match


def timed(driver: Any, query: Any, runs: int, params: Any) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        driver.execute_query(query, params())
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95)]
    print(
        f"{name:<42}{len(times):>5}{statistics.median(times):>10.1f}{p95:>10.1f}"
        f"{times[-1]:>10.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.3)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    print(
        f"command: python bench/segment_scale.py {args.people} --share {args.share} | "
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = ManagedNeo4j(args.home or Path(tmp) / "neo4j", Memory("2g", "1g"))
        settings = server.start(port=0)
        driver = connect(settings)
        try:
            schema.apply_schema(driver, default_ontology())
            driver.execute_query("MERGE (:Segment {id: 'bench', name: 'Bench'})")
            start = time.perf_counter()
            step = 50_000
            for lo in range(0, args.people, step):
                hi = min(lo + step, args.people)
                bounds = {"start": lo, "end": hi}
                driver.execute_query(
                    BUILD, {**bounds, "members": int(args.share * 1000)}
                )
                driver.execute_query(HISTORY, bounds)
                rate = hi / (time.perf_counter() - start)
                eta = (args.people - hi) / rate
                print(
                    f"  built {hi:,} people ({rate:,.0f}/s, ETA {eta:.0f} s)",
                    flush=True,
                )
            rows, _, _ = driver.execute_query(
                cypher.COUNT, segment="bench", asOf=dt.datetime.now(dt.UTC)
            )
            print(
                f"members now: {rows[0]['members']:,} of {args.people:,} people",
                flush=True,
            )
            rng = random.Random(7)  # noqa: S311 - reproducible arguments, not secrets
            print(f"{'query':<42}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
            now = dt.datetime.now(dt.UTC)
            sizes = driver.execute_query(cypher.MEMBERS_AND_PEOPLE, segment="bench")[0]
            by_id = scan_by_id(sizes[0]["total"], sizes[0]["people"], 21)
            page = (cypher.MEMBERS_BY_ID if by_id else cypher.MEMBERS_MATCH) + PAGE
            for _ in range(3):  # plan and warm
                driver.execute_query(cypher.COUNT, segment="bench", asOf=now)
                driver.execute_query(cypher.MEMBERS_AND_PEOPLE, segment="bench")
                driver.execute_query(page, segment="bench")
            report(
                "recount (each refresh, per segment)",
                timed(
                    driver, cypher.COUNT, 20, lambda: {"segment": "bench", "asOf": now}
                ),
            )
            report(
                "stored count (segmentMembers.totalCount)",
                timed(
                    driver, cypher.MEMBERS_AND_PEOPLE, 20, lambda: {"segment": "bench"}
                ),
            )
            report(
                f"first page of 20, {'id index walk' if by_id else 'expand and sort'}",
                timed(driver, page, 20, lambda: {"segment": "bench"}),
            )
            report(
                "membership of one person",
                timed(
                    driver,
                    CHECK,
                    500,
                    lambda: {
                        "person": f"p-{rng.randrange(args.people)}",
                        "segment": "bench",
                    },
                ),
            )
        finally:
            driver.close()
            server.stop()


if __name__ == "__main__":
    main()
