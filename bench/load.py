"""Batch write speed: ``api.pipeline.run`` into a fresh Neo4j, then again on unchanged input.

Run: .venv/bin/python bench/load.py [PEOPLE] [--data DIR] [--seed S]
     (default 20000 people, seed 7; needs the Neo4j jars once: ./c360 neo4j start fetches them)

Generates PEOPLE people (or reuses DIR when it already holds a generated set, so several runs
compare on the same input), starts a fresh managed Neo4j (heap 2g, page cache 1g) in a
temporary folder, runs the pipeline twice and prints, for each run:

- every stage the pipeline reports (sources read, resolution, each write) with its time and
  rate, and the write total: from the first write stage to the end of the run, which also
  counts the Python that shapes the rows between writes and the prunes;
- the node and relationship counts by label and type;
- a content checksum of the whole graph: every node's labels and properties, and every
  relationship's type, properties and its endpoints' labels and key properties. Order-free
  (a sum of per-item hashes), computed in Python by streaming the graph. ``full`` covers
  everything, exactly, so the re-run must leave it unchanged. ``content`` is for comparing
  two fresh runs (of different code, minutes apart): it leaves out the two values that are
  the time of the run (``RESOLVED_TO.at``, ``LinkageModel.at``) and the noise of training,
  which is not bit-for-bit repeatable (floats rounded to 10 significant digits, the trained
  model's random ``linker_uid``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api import bulk_load, pipeline
from graph.checksum import checksum
from graph.connection import connect
from graph.server import ManagedNeo4j, Memory
from linkage.generate.run import generate


class Stages:
    """Times every stage from its first progress report to its last, with Neo4j's CPU time."""

    def __init__(self, server: ManagedNeo4j) -> None:
        self.server = server  # its pid changes when a bulk import restarts it
        self.spans: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.counts: dict[str, int] = {}
        self.order: list[str] = []
        self._shown: dict[str, float] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        now, cpu = time.perf_counter(), server_cpu(self.server)
        if what not in self.spans:
            self.spans[what] = [now, now]
            self.cpu[what] = [cpu, cpu]
            self.order.append(what)
        self.spans[what][1] = now
        self.cpu[what][1] = cpu
        self.counts[what] = max(done, total)
        # A sign of life on long stages.
        if done and now - self._shown.get(what, 0) > 10:
            self._shown[what] = now
            print(f"    .. {what}: {done:,}/{total:,}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=20_000)
    parser.add_argument(
        "--data", type=Path, help="generated data set to reuse or create"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--bulk-import",
        action="store_true",
        help="first run with neo4j-admin database import (c360 resolve --bulk-import)",
    )
    parser.add_argument(
        "--dump",
        type=Path,
        help="write each run's sorted content lines to DUMP.1, DUMP.2",
    )
    args = parser.parse_args()
    print(
        f"command: python bench/load.py {args.people} | {platform.node()} "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = args.data or root / "data"
        if not (data / "sources.toml").exists():
            t0 = time.perf_counter()
            print(
                f"generating {args.people:,} people (seed {args.seed}) in {data}",
                flush=True,
            )
            generate(args.people, args.seed, data)
            print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
        else:
            print(f"reusing the data set in {data}", flush=True)
        server = ManagedNeo4j(root / "neo4j", Memory("2g", "1g"))
        print("starting Neo4j", flush=True)
        driver = connect(server.start(port=0))
        try:
            sums = []
            for n, run in enumerate(
                ("first run (empty graph)", "re-run (unchanged input)")
            ):
                print(f"{run}:", flush=True)
                stages = Stages(server)
                t0, c0 = time.perf_counter(), server_cpu(server)
                bulk = args.bulk_import and n == 0
                result = pipeline.run(
                    driver,
                    data / "sources.toml",
                    progress=stages,
                    importer=bulk_load.importer(server) if bulk else None,
                )
                end, c1 = time.perf_counter(), server_cpu(server)
                report(stages, t0, end, c1)
                print(
                    f"  {result.records:,} records -> {result.persons:,} persons, "
                    f"{result.touchpoints:,} touchpoints, run {end - t0:.1f} s "
                    f"(Neo4j CPU {c1 - c0:.1f} s); this process's peak RSS so far "
                    f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB",
                    flush=True,
                )
                dump = args.dump.with_suffix(f".{n + 1}") if args.dump else None
                with timed("  checksum"):
                    sums.append(checksum(driver, dump))
                show(sums[-1])
            same = "same" if sums[0]["content"] == sums[1]["content"] else "DIFFERENT"
            print(
                f"re-run left the graph the {same} (content checksum: everything but the "
                "times of the run itself, such as when segments were evaluated)"
            )
        finally:
            driver.close()
            server.stop()


def server_cpu(server: ManagedNeo4j) -> float:
    """User + system CPU seconds of the Neo4j JVM so far (0 when it cannot be read; a
    bulk import restarts it, so its stages' Neo4j CPU is the new server's)."""
    state = server.state()
    pid = int(state["pid"]) if state else 0  # type: ignore[call-overload]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(stages: Stages, t0: float, end: float, cpu_end: float) -> None:
    write = [w for w in stages.order if not _reading(w, stages)]
    print(f"  {'stage':<34} {'rows':>10} {'wall':>10} {'rows/s':>11} {'Neo4j CPU':>10}")
    for what in stages.order:
        start, stop = stages.spans[what]
        n, seconds = stages.counts[what], stop - start
        rate = f"{n / seconds:>9,.0f}/s" if seconds > 0.05 and n else ""
        cpu = stages.cpu[what][1] - stages.cpu[what][0]
        print(f"  {what:<34} {n:>10,} {seconds:>8.2f} s {rate:>11} {cpu:>8.2f} s")
    if write:
        first = stages.spans[write[0]][0]
        last = max(
            (w for w in stages.order if w not in write),
            key=lambda w: stages.spans[w][1],
        )
        resolved = stages.spans[last][1]
        cpu = cpu_end - stages.cpu[last][1]
        in_stages = sum(stages.spans[w][1] - stages.spans[w][0] for w in write)
        print(
            f"  {'write total (after resolution)':<34} {'':>10} {end - resolved:>8.2f} s "
            f"{'':>11} {cpu:>8.2f} s\n"
            f"    (in the write stages {in_stages:.2f} s; rows shaped and evidence cleared "
            f"before the first write {first - resolved:.2f} s)"
        )


def _reading(what: str, stages: Stages) -> bool:
    """Sources and resolution stages: everything before the first reference write."""
    firsts = [
        w
        for w in stages.order
        if w in {"countries", "source records"} or w.startswith("import files")
    ]
    return bool(firsts) and stages.spans[what][0] < stages.spans[firsts[0]][0]


@contextmanager
def timed(what: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    print(f"{what}: {time.perf_counter() - t0:.1f} s", flush=True)


def show(s: dict[str, Any]) -> None:
    print(f"  nodes {s['nodes']:,}, relationships {s['relationships']:,}")
    print("  labels: " + ", ".join(f"{k} {v:,}" for k, v in s["labels"].items()))
    print("  types: " + ", ".join(f"{k} {v:,}" for k, v in s["types"].items()))
    print(f"  checksum full {s['full']}  content {s['content']}", flush=True)


if __name__ == "__main__":
    main()
