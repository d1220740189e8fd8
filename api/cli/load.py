"""``c360 load``: read records, resolve identities, write the graph (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api import pipeline
from api.cli.connect import neo4j_settings, open_driver
from api.cli.output import ProgressPrinter, say
from graph.errors import C360Error
from linkage.records import DEMO_DIR

RecordsOpt = Annotated[
    Path, typer.Option(help="JSON Lines of source records", exists=True, dir_okay=False)
]
ReferenceOpt = Annotated[
    Path,
    typer.Option(
        help="Dealers, clubs, models and countries (JSON)", exists=True, dir_okay=False
    ),
]


def load(
    records: RecordsOpt = DEMO_DIR / "records.jsonl",
    reference: ReferenceOpt = DEMO_DIR / "reference.json",
) -> None:
    """Load the records (default: the built-in demo set) into Neo4j."""
    run_load(records, reference)


def run_load(records: Path, reference: Path) -> pipeline.PipelineResult:
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        result = pipeline.run(
            driver,
            records,
            reference,
            progress=ProgressPrinter(),
            database=settings.database,
        )
    except (OSError, ValueError) as exc:
        raise C360Error(f"could not load {records}: {exc}") from exc
    finally:
        driver.close()
    report(result)
    return result


def report(result: pipeline.PipelineResult) -> None:
    say(
        f"{result.lines} input lines -> {result.records} source records -> {result.persons} customers "
        f"(consolidation {result.consolidation_rate:.0%}); {len(result.quarantined)} quarantined"
    )
    for q in result.quarantined:
        say(f"  quarantined {q.location}: {q.reason} [{q.value[:60]}]")
