"""``c360 segments check|refresh|list``: the marketing audiences of graph/segments.toml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from api.cli.connect import neo4j_settings, open_driver
from api.cli.ontology_check import OntologyOption
from api.cli.output import ProgressPrinter, say
from graph import segment_compile, segments
from graph.cypher import segments as cypher
from ontology.model import load as load_ontology

app = typer.Typer(
    help="Segments: check the definitions, refresh the memberships, list the counts.",
    no_args_is_help=True,
)

SegmentsOption = Annotated[
    Path | None,
    typer.Option(
        "--segments",
        help="Segment definitions (default: $C360_SEGMENTS, else graph/segments.toml)",
        exists=True,
        dir_okay=False,
    ),
]


@app.command("check")
def check(
    segments_file: SegmentsOption = None, ontology: OntologyOption = None
) -> None:
    """Compile every definition against the ontology; the first problem is one line, exit 2."""
    found = segment_compile.load(segments_file, load_ontology(ontology))
    for s in found:
        print(f"{s.id} ({s.kind}, version {s.version}): {s.definition}")
    say(f"{len(found)} segments ok")


@app.command("refresh")
def refresh(
    segments_file: SegmentsOption = None,
    ontology: OntologyOption = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            help="Evaluate the time windows at this moment (default: now), e.g. for an export of a known day",
        ),
    ] = None,
) -> None:
    """Re-evaluate every segment over the whole graph (nightly; a batch load does it too)."""
    found = segment_compile.load(segments_file, load_ontology(ontology))
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        done = segments.refresh(
            driver,
            found,
            as_of or dt.datetime.now(),
            settings.database,
            ProgressPrinter(),
        )
    finally:
        driver.close()
    for r in done:
        state = "frozen, unchanged" if r.skipped else f"+{r.entered} -{r.exited}"
        say(f"  {r.segment}: {r.members} members ({state}) in {r.seconds:.2f} s")


@app.command("list")
def list_segments() -> None:
    """Each stored segment with its member count at the last refresh."""
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        rows, _, _ = driver.execute_query(cypher.LIST, database_=settings.database)
    finally:
        driver.close()
    for r in rows:
        print(f"{r['id']}\t{r['members']}\t{r['kind']}\tv{r['version']}\t{r['name']}")
