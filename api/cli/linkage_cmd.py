"""``c360 linkage evaluate``: resolve without writing and compare with the truth.

The report goes to stdout and ends with ``precision=<p> recall=<r> f1=<f>``, so scripts can
read the last line; progress and timings go to stderr.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api import pipeline
from api.cli.ontology_check import OntologyOption
from api.cli.output import ProgressPrinter, say
from linkage import evaluate as metrics
from linkage import febrl
from linkage import settings as linkage_settings
from linkage.resolve import Engine
from ontology.errors import C360Error
from ontology.model import load as load_ontology

app = typer.Typer(
    help="Identity-resolution quality and settings.", no_args_is_help=True
)

SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="Linkage settings TOML (default: linkage/data/linkage.toml)",
        exists=True,
        dir_okay=False,
    ),
]
EngineOption = Annotated[
    Engine,
    typer.Option(
        help="Where Splink trains and scores: DuckDB in process, or Spark "
        "(pip install -e '.[spark]', Java 17+; the active session under spark-submit)",
        case_sensitive=False,
    ),
]


@app.command("evaluate")
def evaluate(
    sources: Annotated[
        Path | None,
        typer.Option(help="Sources file to resolve", exists=True, dir_okay=False),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            help="CSV with source,source_id,person_id[,household_id]",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A FEBRL benchmark instead: febrl4 or febrl3")
    ] = None,
    examples: Annotated[
        int, typer.Option(help="False/missed merges to show", min=0)
    ] = 5,
    settings: SettingsOption = None,
    ontology: OntologyOption = None,
    engine: EngineOption = Engine.DUCKDB,
) -> None:
    """Resolve a data set (nothing is written) and print precision, recall and F1."""
    started = time.perf_counter()
    if dataset is not None:
        if sources or truth:
            raise C360Error("give either --dataset or --sources with --truth, not both")
        if engine is not Engine.DUCKDB:
            raise C360Error("the FEBRL runs score on DuckDB: --engine is for --sources")
        result = febrl.run(dataset, progress=ProgressPrinter())
        lines = metrics.format_report(result.report)
        count = result.records
    else:
        if sources is None or truth is None:
            raise C360Error(
                "--sources and --truth are needed (or --dataset febrl4|febrl3)"
            )
        chosen = (
            linkage_settings.load(settings) if settings else linkage_settings.default()
        )
        _, gate, records, resolution = pipeline.resolve_sources(
            sources,
            load_ontology(ontology),
            chosen,
            progress=ProgressPrinter(),
            engine=engine,
        )
        report = metrics.evaluate(
            resolution.assignment(),
            metrics.read_truth(truth),
            metrics.read_households(truth),
            limit=examples,
        )
        lines = metrics.format_report(report)
        count = len(records)
        say(
            f"{count} records -> {len(resolution.customers)} customers, "
            f"{sum(p.decision == 'review' for p in resolution.pairs)} pairs for review, "
            f"{len(gate.quarantined)} quarantined"
        )
    elapsed = time.perf_counter() - started
    say(
        f"resolved {count} records in {elapsed:.1f} s ({count / elapsed:,.0f} records/s)"
    )
    for line in lines:
        print(line)
