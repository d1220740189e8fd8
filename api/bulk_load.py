"""``c360 resolve --bulk-import``: a first load written by Neo4j's offline importer.

The rows are the batch write's (``api.pipeline.Writes``); ``graph.bulk`` places them in CSV
files as the batch write's Cypher would place them, and the managed server is stopped,
rebuilt from the files by ``neo4j-admin database import`` and started again. Only the
managed Neo4j: the importer needs the server stopped and its store on this machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from api.pipeline import Importer, Writes
from graph import bulk, load
from graph.server import ManagedNeo4j
from ontology.model import Ontology


def importer(server: ManagedNeo4j, database: str = "neo4j") -> Importer:
    """An ``api.pipeline.run`` importer that replaces ``server``'s ``database``."""

    def run(writes: Writes, model: Ontology, progress: load.Progress | None) -> None:
        # Beside the store: the files are about the size of the graph they make.
        with tempfile.TemporaryDirectory(prefix="c360-import-", dir=server.home) as tmp:
            files = bulk.Files(Path(tmp))
            write_files(bulk.Graph(files, model), writes, progress)
            args = files.close()
            server.replace_database(args, database, progress=progress)

    return run


def write_files(
    graph: bulk.Graph, writes: Writes, progress: load.Progress | None
) -> None:
    """Every row of ``writes`` into ``graph``'s files, one kind at a time, in the batch
    write's order."""
    for kind, rows in writes.reference().items():
        _step(kind, rows, partial(graph.reference, kind), progress)
    _step("source records", writes.records(), graph.records, progress)
    _step("persons", writes.persons(), graph.persons, progress)
    _step("match evidence", writes.evidence(), graph.evidence, progress)
    _step("households", writes.households(), graph.households, progress)
    journeys = writes.touchpoints()
    count = sum(len(rows) for rows in journeys.values())
    _step("touchpoints", journeys, graph.touchpoints, progress, count)
    del journeys
    _step("referrals", writes.referrals(), graph.referrals, progress)


def _step(
    what: str,
    rows: Any,
    place: Callable[[Any], None],
    progress: load.Progress | None,
    count: int | None = None,
) -> None:
    count = len(rows) if count is None else count
    if progress:
        progress(f"import files: {what}", 0, count)
    place(rows)
    if progress:
        progress(f"import files: {what}", count, count)
