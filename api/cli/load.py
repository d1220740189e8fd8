"""``c360 resolve --sources FILE`` (also ``c360 load``): ingest every source, resolve identities, write the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api import pipeline
from api.cli.connect import neo4j_settings, open_driver
from api.cli.linkage_cmd import SettingsOption
from api.cli.ontology_check import OntologyOption
from api.cli.output import ProgressPrinter, say
from linkage import settings as linkage_settings
from ontology.model import load as load_ontology


def load(
    sources: Annotated[
        Path,
        typer.Option(
            help="Sources file (TOML) naming each system's export",
            exists=True,
            dir_okay=False,
        ),
    ],
    ontology: OntologyOption = None,
    settings: SettingsOption = None,
    retrain: Annotated[
        bool,
        typer.Option(
            "--retrain", help="Train the model again instead of reusing the stored one"
        ),
    ] = False,
) -> None:
    """Ingest the sources, resolve identities and write the graph (idempotent; IDs stay stable)."""
    run_load(sources, ontology, settings, retrain)


def run_load(
    sources: Path,
    ontology: Path | None = None,
    settings_path: Path | None = None,
    retrain: bool = False,
) -> pipeline.PipelineResult:
    """Validate against (and shape the graph by) ``ontology``, default ``$C360_ONTOLOGY`` or ours."""
    model = load_ontology(ontology)
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        result = pipeline.run(
            driver,
            sources,
            progress=ProgressPrinter(),
            database=settings.database,
            model=model,
            linkage_settings=linkage_settings.load(settings_path)
            if settings_path
            else None,
        )
    finally:
        driver.close()
    report(result)
    return result


def report(result: pipeline.PipelineResult) -> None:
    say(
        f"{result.lines} input rows -> {result.records} source records -> {result.persons} customers "
        f"(consolidation {result.consolidation_rate:.0%}), {result.households} households, "
        f"{result.review} pairs for review; {len(result.quarantined)} quarantined; "
        + (
            "model trained"
            if result.trained
            else "stored model reused (--retrain to train again)"
        )
    )
    for name, count in sorted(result.touchpoint_rows.items()):
        say(
            f"  {name}: {count} touchpoint rows read, not loaded yet (journeys come with the API issue)"
        )
    for name, columns in sorted(result.unmapped.items()):
        say(f"  {name}: columns not mapped to a property: {', '.join(sorted(columns))}")
    shown = result.quarantined[:20]
    for q in shown:
        say(f"  quarantined {q}")
    if len(result.quarantined) > len(shown):
        say(f"  ... and {len(result.quarantined) - len(shown)} more quarantined")
