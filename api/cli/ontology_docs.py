"""``c360 ontology docs``: the reference (Markdown) and the model diagram (DOT, SVG, PNG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.ontology_check import OntologyOption
from api.cli.output import say
from ontology.docs import write_docs
from ontology.model import load

OutOption = Annotated[
    Path,
    typer.Option(
        "--out", help="Folder to write into (created if missing)", file_okay=False
    ),
]


def docs(
    ontology: OntologyOption = None, out: OutOption = Path("docs/ontology")
) -> None:
    """Write reference.md, model.dot, model.svg and model.png, derived from the ontology."""
    model = load(ontology)
    paths = write_docs(model, out)
    for path in paths:
        print(path)
    say(f"{len(paths)} files in {out} from {model.path} (version {model.version})")
