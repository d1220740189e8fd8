"""``c360 export-rdf``: the graph (or one customer) as Turtle or JSON-LD in ontology terms."""

from __future__ import annotations

import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.cli.connect import neo4j_settings, open_driver
from api.cli.ontology_check import OntologyOption
from api.cli.output import say
from graph.rdf_export import export_rdf as run_export
from graph.rdf_export import format_skipped, serialize
from ontology.model import load


class RdfFormat(StrEnum):
    turtle = "turtle"
    json_ld = "json-ld"


def export_rdf(
    customer: Annotated[
        str | None,
        typer.Option(help="Export only this Person id and its neighbourhood"),
    ] = None,
    format: Annotated[
        RdfFormat, typer.Option(help="Serialization", case_sensitive=False)
    ] = RdfFormat.turtle,
    out: Annotated[
        Path | None,
        typer.Option(help="File to write (default: stdout)", dir_okay=False),
    ] = None,
    no_pii: Annotated[
        bool,
        typer.Option("--no-pii", help="Leave out personal data (pseudonymised export)"),
    ] = False,
    ontology: OntologyOption = None,
) -> None:
    """Write the graph as RDF conforming to the ontology (SHACL-valid when the data is)."""
    model = load(ontology)
    settings = neo4j_settings()
    driver = open_driver(settings)
    skipped: Counter[str] = Counter()
    try:
        graph = run_export(
            driver,
            model,
            customer_id=customer,
            include_pii=not no_pii,
            database=settings.database,
            skipped=skipped,
        )
    finally:
        driver.close()
    text = serialize(graph, format.value)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    say(f"{len(graph)} triples{f' -> {out}' if out else ''}")
    if skipped:
        say(f"not in the ontology, skipped: {format_skipped(skipped)}")
