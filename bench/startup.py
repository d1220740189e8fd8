"""Measure what the README quotes: managed Neo4j start/stop times and the demo load.

Run: .venv/bin/python bench/startup.py   (needs the jars once: ./c360 neo4j start does that)
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from api import pipeline
from graph.connection import connect
from graph.server import ManagedNeo4j, Memory
from linkage.generate.run import generate


def main() -> None:
    print(
        f"command: python bench/startup.py | {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = ManagedNeo4j(Path(tmp) / "neo4j", Memory("1g", "512m"))
        t0 = time.perf_counter()
        settings = server.start(port=0)
        first = time.perf_counter() - t0
        driver = connect(settings)
        sources = generate(1000, 7, Path(tmp) / "data").folder / "sources.toml"
        t0 = time.perf_counter()
        result = pipeline.run(driver, sources)
        load1 = time.perf_counter() - t0
        t0 = time.perf_counter()
        pipeline.run(driver, sources)
        load2 = time.perf_counter() - t0
        driver.close()
        t0 = time.perf_counter()
        server.stop()
        stop = time.perf_counter() - t0
        t0 = time.perf_counter()
        server.start(port=0)
        restart = time.perf_counter() - t0
        server.stop()
    print(f"neo4j first start (new data dir): {first:.1f}s")
    print(f"neo4j restart (existing data):    {restart:.1f}s")
    print(f"neo4j stop:                        {stop:.1f}s")
    print(
        f"demo load ({result.records} records -> {result.persons} customers, incl. schema): {load1:.2f}s; reload: {load2:.2f}s"
    )


if __name__ == "__main__":
    main()
