"""``c360 resolve --sources FILE`` (also ``c360 load``): ingest every source, resolve identities, write the graph."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from api import bulk_load, pipeline
from api import incremental as incremental_run
from api.cli.connect import neo4j_settings, open_driver
from api.cli.linkage_cmd import EngineOption, SettingsOption
from api.cli.ontology_check import OntologyOption
from api.cli.output import ProgressPrinter, say
from graph.connection import Neo4jSettings
from graph.server import ManagedNeo4j
from linkage import settings as linkage_settings
from linkage.records import Quarantined
from linkage.resolve import Engine
from ontology.errors import C360Error
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
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental",
            help="Resolve each record against the graph (one transaction each) instead of "
            "a batch over everything; needs the model a batch run stored",
        ),
    ] = False,
    bulk_import: Annotated[
        bool,
        typer.Option(
            "--bulk-import",
            help="First load into an empty managed Neo4j with neo4j-admin database import "
            "(stops and restarts the server; much faster than the batch write)",
        ),
    ] = False,
    per_transaction: Annotated[
        int,
        typer.Option(
            "--per-transaction",
            min=1,
            help="With --incremental: records per transaction (1 = a commit per record)",
        ),
    ] = 1,
    engine: EngineOption = Engine.DUCKDB,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine",
            help="Keep every quarantined row in this file (JSON Lines: location, "
            "reason, value, field); the report shows the first 20",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Ingest the sources, resolve identities and write the graph (idempotent; IDs stay stable)."""
    if incremental and bulk_import:
        raise typer.BadParameter("--bulk-import is for a first load, not --incremental")
    if incremental and engine is not Engine.DUCKDB:
        raise typer.BadParameter(
            "--incremental scores each record in process on DuckDB: --engine is for a batch"
        )
    if incremental:
        run_incremental(sources, ontology, settings, per_transaction, quarantine)
    else:
        run_load(sources, ontology, settings, retrain, bulk_import, engine, quarantine)


def keep_quarantine(path: Path | None, quarantined: Sequence[Quarantined]) -> None:
    """Every quarantined row into ``path`` (None: nowhere), one JSON object a line.
    Called with none before a run too, so that a path that cannot be written fails at
    once, not after the load."""
    if path is None:
        return
    try:
        with path.open("w", encoding="utf-8") as fh:
            for q in quarantined:
                fh.write(json.dumps(dataclasses.asdict(q), ensure_ascii=False) + "\n")
    except OSError as exc:
        raise C360Error(
            f"cannot write the quarantine file {path}: {exc.strerror}"
        ) from exc


def _report_quarantine(quarantined: Sequence[Quarantined], kept: Path | None) -> None:
    """The first 20 quarantined rows, and where the rest are (or how to keep them)."""
    for q in quarantined[:20]:
        say(f"  quarantined {q}")
    if kept is not None:
        say(f"  all {len(quarantined)} quarantined rows are in {kept}")
    elif len(quarantined) > 20:
        say(
            f"  ... and {len(quarantined) - 20} more quarantined "
            "(--quarantine FILE keeps them all)"
        )


def run_incremental(
    sources: Path,
    ontology: Path | None = None,
    settings_path: Path | None = None,
    per_transaction: int = 1,
    quarantine: Path | None = None,
) -> None:
    """Resolve the records of ``sources`` one by one against the graph and report timings."""
    keep_quarantine(quarantine, [])
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        result = incremental_run.run(
            driver,
            sources,
            load_ontology(ontology),
            linkage_settings.load(settings_path)
            if settings_path
            else linkage_settings.default(),
            database=settings.database,
            progress=ProgressPrinter(),
            per_transaction=per_transaction,
        )
    finally:
        driver.close()
    outcomes = ", ".join(f"{n} {kind}" for kind, n in sorted(result.outcomes.items()))
    say(
        f"{result.records} records resolved one by one ({outcomes}); "
        f"{result.touchpoints} touchpoints and {result.referrals} referrals written; "
        f"{result.held} touchpoints held without a person, {result.claimed} held before "
        f"attached; {result.held_referrals} referral mentions held, "
        f"{result.claimed_referrals} held before linked; "
        f"referral influence changed for {result.rescored} people; "
        f"{len(result.quarantined)} quarantined; per transaction of {per_transaction}: "
        f"resolution p50 {incremental_run.percentile(result.resolve_ms, 50):.1f} ms, p95 "
        f"{incremental_run.percentile(result.resolve_ms, 95):.1f} ms; with the writes p50 "
        f"{incremental_run.percentile(result.total_ms, 50):.1f} ms, p95 "
        f"{incremental_run.percentile(result.total_ms, 95):.1f} ms"
    )
    keep_quarantine(quarantine, result.quarantined)
    _report_quarantine(result.quarantined, quarantine)


def run_load(
    sources: Path,
    ontology: Path | None = None,
    settings_path: Path | None = None,
    retrain: bool = False,
    bulk_import: bool = False,
    engine: Engine = Engine.DUCKDB,
    quarantine: Path | None = None,
) -> pipeline.PipelineResult:
    """Validate against (and shape the graph by) ``ontology``, default ``$C360_ONTOLOGY``
    or ours; every quarantined row into the file ``quarantine``, if given."""
    keep_quarantine(quarantine, [])
    model = load_ontology(ontology)
    settings = neo4j_settings()
    importer = None
    if bulk_import:
        if Neo4jSettings.from_env() is not None:
            raise C360Error(
                "--bulk-import rebuilds the managed Neo4j's store and cannot reach a server "
                "at NEO4J_URI: for your own server, see README (Bulk import)"
            )
        importer = bulk_load.importer(ManagedNeo4j(), settings.database)
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
            retrain=retrain,
            importer=importer,
            engine=engine,
        )
    finally:
        driver.close()
    keep_quarantine(quarantine, result.quarantined)
    report(result, quarantine)
    return result


def report(result: pipeline.PipelineResult, kept: Path | None = None) -> None:
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
    say(
        f"  {result.touchpoints} touchpoints written to the customers' journeys; "
        f"{result.held} held without a person (in the quarantine too) until a change "
        f"gives them one; {result.held_referrals} referral mentions held the same way"
    )
    if result.refreshed_segments:
        say(
            f"  {len(result.refreshed_segments)} segments refreshed: "
            + ", ".join(
                f"{r.segment} {r.members} (+{r.entered} -{r.exited})"
                for r in result.refreshed_segments
            )
        )
    for name, columns in sorted(result.unmapped.items()):
        say(f"  {name}: columns not mapped to a property: {', '.join(sorted(columns))}")
    _report_quarantine(result.quarantined, kept)
