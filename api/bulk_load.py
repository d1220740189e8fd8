"""``c360 resolve --bulk-import``: a first load written by Neo4j's offline importer.

The rows are the batch write's (``api.pipeline.Writes``); ``graph.bulk`` places them in CSV
files as the batch write's Cypher would place them, and the managed server is stopped,
rebuilt from the files by ``neo4j-admin database import`` and started again. Only the
managed Neo4j: the importer needs the server stopped and its store on this machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from api.pipeline import Importer, Writes
from graph import bulk, load
from graph.server import ManagedNeo4j
from ontology.model import Ontology

T = TypeVar("T")


def importer(server: ManagedNeo4j, database: str = "neo4j") -> Importer:
    """An ``api.pipeline.run`` importer that replaces ``server``'s ``database``."""

    def run(writes: Writes, model: Ontology, progress: load.Progress | None) -> None:
        # The import needs the server stopped; stopped now, its memory serves the rows.
        port = server.pause()
        try:
            # Beside the store: the files are about the size of the graph they make.
            with tempfile.TemporaryDirectory(
                prefix="c360-import-", dir=server.home
            ) as tmp:
                files = bulk.Files(Path(tmp))
                write_files(bulk.Graph(files, model), writes, progress)
                args = files.close()
                server.replace_database(args, port, database, progress=progress)
        except BaseException:
            if server.state() is None:  # leave it running, as it was found
                server.start(port=port)
            raise

    return run


def write_files(
    graph: bulk.Graph, writes: Writes, progress: load.Progress | None
) -> None:
    """Every row of ``writes`` into ``graph``'s files, one kind at a time and streamed,
    in the batch write's order."""
    for kind, rows in writes.reference().items():
        _step(kind, rows, partial(graph.reference, kind), progress, len(rows))
    sizes = writes.sizes
    _step("source records", writes.records(), graph.records, progress, sizes["records"])
    _step("persons", writes.persons(), graph.persons, progress, sizes["persons"])
    _step(
        "match evidence", writes.evidence(), graph.evidence, progress, sizes["evidence"]
    )
    households = writes.households()
    _step("households", households, graph.households, progress, len(households))
    _step(
        "touchpoints",
        writes.touchpoints(),
        graph.touchpoints,
        progress,
        sizes["touchpoints"],
    )
    referrals = writes.referrals()
    _step("referrals", referrals, graph.referrals, progress, len(referrals))


def _step(
    what: str,
    rows: Iterable[T],
    place: Callable[[Iterable[T]], None],
    progress: load.Progress | None,
    total: int,
) -> None:
    """``place`` the rows, reporting progress every 100,000 rows (rate and ETA)."""
    if progress is None:
        place(rows)
        return
    stage = f"import files: {what}"
    progress(stage, 0, total)
    done = 0

    def counted() -> Iterator[T]:
        nonlocal done
        for row in rows:
            done += 1
            if done % 100_000 == 0:
                progress(stage, done, max(total, done))
            yield row

    place(counted())
    progress(stage, done, done)
