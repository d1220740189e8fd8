"""Split a data set into a first batch and a later delta, to exercise incremental updates.

Each row of an identity source goes to the delta with probability ``fraction`` (seeded, so
the split is reproducible); touchpoint sources and reference data stay whole in the batch.
Both folders get the same sources file, so either can be loaded on its own.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path
from typing import Any

from linkage.sources import load_sources


def holdout(folder: Path, batch: Path, delta: Path, fraction: float, seed: int) -> int:
    """Write ``batch`` and ``delta`` from ``folder``; returns the rows held out."""
    sources = load_sources(folder / "sources.toml")
    rng = random.Random(seed)
    held = 0
    for out in (batch, delta):
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "sources.toml", out / "sources.toml")
        for path in sources.reference.values():
            target = out / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for spec in sources.sources:
        name = spec.file.relative_to(folder)
        with spec.file.open(encoding="utf-8", newline="") as fh:
            rows: list[list[str]] | list[str]
            header: list[str] | None = None
            if spec.format == "csv":
                reader = csv.reader(fh, delimiter=spec.delimiter)
                header, rows = next(reader), list(reader)
            else:
                rows = fh.read().splitlines()
        keep: list[Any] = []
        later: list[Any] = []
        for row in rows:
            (
                later if spec.kind == "identity" and rng.random() < fraction else keep
            ).append(row)
        held += len(later)
        for out, part in ((batch, keep), (delta, later)):
            with (out / name).open("w", encoding="utf-8", newline="") as fh:
                if header is not None:
                    writer = csv.writer(fh, delimiter=spec.delimiter)
                    writer.writerow(header)
                    writer.writerows(part)
                else:
                    fh.writelines(f"{line}\n" for line in part)
    return held
