"""``c360 ontology diff OLD NEW``: what a new ontology changes, for Neo4j and GraphQL clients."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import say
from ontology import diff as changes_of
from ontology.model import load

OntologyFile = Annotated[
    Path, typer.Argument(help="Ontology file (Turtle)", dir_okay=False)
]


def diff(old: OntologyFile, new: OntologyFile) -> None:
    """Print each change (BREAKING marked), then the Cypher it implies.

    Exit 0 when no change is breaking, 1 when some is (so CI can gate a pull request on it),
    2 when a file cannot be read or is not a sound ontology.
    """
    changes = changes_of.diff(load(old), load(new))
    for change in changes:
        print(change)
    for statement in changes_of.cypher(changes):
        print(statement)
    breaking = sum(c.breaking for c in changes)
    say(f"{old} -> {new}: {len(changes)} change(s), {breaking} breaking")
    if breaking:
        raise typer.Exit(1)
