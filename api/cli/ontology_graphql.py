"""``c360 ontology export-graphql``: the SDL the API serves for an ontology."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.ontology_check import OntologyOption
from api.cli.output import say
from api.schema import build_schema
from ontology.model import load


def sdl(ontology: Path | None = None) -> str:
    """The printed schema, ending in one newline (the committed ``api/schema.graphql``)."""
    return build_schema(load(ontology)).as_str().rstrip("\n") + "\n"


def export_graphql(
    ontology: OntologyOption = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the SDL here instead of printing it", dir_okay=False),
    ] = None,
) -> None:
    """Print (or write) the GraphQL schema derived from the ontology."""
    text = sdl(ontology)
    if out is None:
        print(text, end="")
        return
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {out}: {exc.strerror}", param_hint="--out"
        ) from exc
    say(f"wrote {out} ({len(text.splitlines())} lines)")
