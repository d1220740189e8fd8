"""Ontology derivations: validation of a 10k-record ingest batch (compiled vs pySHACL) and
schema derivation + constraint application on a real Neo4j.

Run: .venv/bin/python bench/validate_schema.py      (needs NEO4J_URI/NEO4J_PASSWORD or `c360 neo4j start`)
Records come from `c360 generate` (seed 7), shaped as the pipeline writes them; parsing the
ontology and generating the data are outside the timed parts.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import pyshacl
import rdflib
from rdflib import RDF, Literal, URIRef

from api.pipeline import Gate, record_props
from graph.connection import Neo4jSettings, connect
from graph.schema import apply_schema
from graph.server import ManagedNeo4j
from linkage.generate.run import generate
from linkage.sources import ingest, load_sources
from ontology.model import C360, default, load
from ontology.neo4j_schema import statements
from ontology.validate import validators


def main() -> None:
    print("command: python bench/validate_schema.py")
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    model = default()
    with tempfile.TemporaryDirectory() as tmp:
        data = ingest(
            load_sources(generate(3000, 7, Path(tmp) / "d").folder / "sources.toml")
        )
    records = data.records[:10_000]
    gate = Gate(validators(model), [])
    rows = [record_props(r) for r in records]
    check = gate.checks["SourceRecord"]
    t0 = time.perf_counter()
    bad = sum(1 for row in rows if check.check(row)[1])
    compiled = time.perf_counter() - t0
    print(
        f"compiled validation: {len(rows)} source records in {compiled:.3f}s ({len(rows) / compiled:,.0f}/s), {bad} invalid"
    )

    sample = rows[:1000]
    g = rdflib.Graph()
    for i, row in enumerate(sample):
        node = URIRef(f"urn:row:{i}")
        g.add((node, RDF.type, C360.SourceRecord))
        for k, v in row.items():
            if v not in (None, ""):
                g.add((node, C360[k], Literal(v)))
    t0 = time.perf_counter()
    pyshacl.validate(g, shacl_graph=model.graph, ont_graph=model.graph)
    slow = time.perf_counter() - t0
    print(
        f"pySHACL: {len(sample)} source records ({len(g)} triples) in {slow:.2f}s ({len(sample) / slow:,.0f}/s; "
        f"{len(rows) / (len(sample) / slow):.0f}s projected for {len(rows)})"
    )

    t0 = time.perf_counter()
    fresh = load(model.path)
    derived = statements(fresh)
    derive = time.perf_counter() - t0
    settings = Neo4jSettings.from_env() or ManagedNeo4j().settings()
    if settings is None:
        print(
            "no Neo4j: start one with `c360 neo4j start` to time constraint application"
        )
        return
    driver = connect(settings)
    try:
        t0 = time.perf_counter()
        apply_schema(driver, fresh, settings.database)
        apply = time.perf_counter() - t0
        t0 = time.perf_counter()
        apply_schema(driver, fresh, settings.database)
        again = time.perf_counter() - t0
    finally:
        driver.close()
    print(
        f"schema: parse + derive {len(derived)} statements {derive:.2f}s; apply {apply:.2f}s; re-apply (no-op) {again:.2f}s"
    )


if __name__ == "__main__":
    main()
