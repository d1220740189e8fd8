"""``c360 ontology check``: every problem of an ontology file, with the term and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import say
from ontology.check import check_file
from ontology.model import ontology_path

OntologyOption = Annotated[
    Path | None,
    typer.Option(
        "--ontology",
        help="Ontology file (default: $C360_ONTOLOGY, else ontology/customer360.ttl)",
        dir_okay=False,
    ),
]


def check(ontology: OntologyOption = None) -> None:
    """Parse the file, check its structure and its shapes; exit 1 if anything is wrong."""
    path = ontology_path(ontology)
    problems = check_file(path)
    for p in problems:
        print(
            f"{path}:{p.line}: {p.term}: {p.message}"
            if p.line
            else f"{path}: {p.term}: {p.message}"
        )
    if problems:
        say(f"{len(problems)} problem(s) in {path}")
        unreadable = any(p.term == "Turtle" for p in problems)
        raise typer.Exit(
            2 if unreadable else 1
        )  # as pySHACL: 1 = not sound, 2 = cannot load
    say(f"{path}: ok")
