"""``c360 generate``: realistic multi-source customer data with ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.output import ProgressPrinter, say
from linkage.generate.run import generate as run_generate


def generate(
    people: Annotated[int, typer.Option(help="How many people to simulate")],
    out: Annotated[Path, typer.Option(help="New (or empty) folder to write into")],
    seed: Annotated[int, typer.Option(help="Same seed, same bytes")] = 7,
    brand: Annotated[
        str, typer.Option(help="moto (Velatra Motocicli) or car (Marenvale Automobili)")
    ] = "moto",
    config: Annotated[
        Path | None,
        typer.Option(
            help="TOML overriding linkage/generate/defaults.toml",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write one extract per source system, reference data, sources.toml and truth/."""
    result = run_generate(
        people, seed, out, brand=brand, config_path=config, progress=ProgressPrinter()
    )
    records = sum(result.records.values())
    say(
        f"{result.people} people in {result.households} two-person households or alone -> {records} rows in "
        f"{len(result.records)} extracts"
    )
    say(
        f"resolve and load it with: c360 resolve --sources {result.folder / 'sources.toml'}"
    )
    print(result.folder)
