"""``generate``: a whole data set into a folder, atomically.

Everything is written into a temporary sibling folder and renamed at the end, so a failed or
interrupted run leaves nothing half-written behind.
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from linkage.generate.config import ConfigError, GeneratorConfig, load_config
from linkage.generate.extracts import FILE_NAMES, Writers, write_cases, write_person
from linkage.generate.population import Population
from linkage.generate.rng import Rng
from linkage.generate.sources_file import write_sources_file
from linkage.generate.world import BRANDS, World, build_world

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GenerateResult:
    folder: Path
    people: int
    households: int
    records: dict[str, int]


def generate(
    people: int,
    seed: int,
    out: Path,
    brand: str = "moto",
    config_path: Path | None = None,
    progress: Progress | None = None,
) -> GenerateResult:
    """Write extracts, reference data, the sources file and the truth for ``people`` people."""
    if people < 1:
        raise ConfigError(f"--people must be at least 1, got {people}")
    if brand not in BRANDS:
        raise ConfigError(
            f"unknown brand {brand!r}: choose one of {', '.join(sorted(BRANDS))}"
        )
    config = load_config(config_path)
    out = out.resolve()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(
            f"{out} exists and is not an empty folder: choose a new --out"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as exc:
        raise ConfigError(f"cannot write to {out.parent}: {exc.strerror}") from exc
    try:
        result = _write(people, seed, brand, config, staging, progress)
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return GenerateResult(out, result[0], result[1], result[2])


def _write(
    people: int,
    seed: int,
    brand: str,
    config: GeneratorConfig,
    folder: Path,
    progress: Progress | None,
) -> tuple[int, int, dict[str, int]]:
    w = config.world
    world = build_world(
        brand,
        people,
        w.as_of_date,
        w.history_years,
        w.people_per_dealer,
        w.min_dealers,
        w.max_dealers,
        w.clubs_per_dealer,
        w.events_per_1000_people,
        random.Random(f"{seed}:world"),
    )
    _write_reference(world, folder / "reference")
    population = Population(world, config, seed)
    writers = Writers(folder).open()
    done = 0
    try:
        if progress:
            progress("people", 0, people)
        for person in population.iterate(people):
            write_person(
                writers,
                world,
                person,
                config.noise,
                Rng(f"{seed}:render:{person.idx}"),
            )
            write_cases(writers, world, person, Rng(f"{seed}:care:{person.idx}"))
            done += 1
            if progress and (done % 1000 == 0 or done == people):
                progress("people", done, people)
    finally:
        writers.close()
    write_sources_file(folder / "sources.toml", brand, seed)
    return done, population.households, dict(writers.counts)


def _write_reference(world: World, folder: Path) -> None:
    folder.mkdir()
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "countries": (
            ["code", "name", "region", "script"],
            [[c.code, c.name, c.region, c.script] for c in world.countries],
        ),
        "dealers": (
            ["code", "name", "country", "kind"],
            [[d.code, d.name, d.country, d.kind] for d in world.dealers],
        ),
        "clubs": (
            ["code", "name", "dealer", "country", "founded"],
            [
                [c.code, c.name, c.dealer, c.country, c.founded.isoformat()]
                for c in world.clubs
            ],
        ),
        "models": (
            [
                "code",
                "name",
                "family",
                "segment",
                "list_price_eur",
                "limited_units",
                "special_trim",
                "special_trim_units",
            ],
            [
                [
                    m.code,
                    m.name,
                    m.family,
                    m.segment,
                    m.price_eur,
                    m.limited_units or "",
                    m.special_trim or "",
                    m.special_trim_units or "",
                ]
                for m in world.brand.models
            ],
        ),
        "events": (
            [
                "id",
                "type",
                "name",
                "start",
                "country",
                "capacity",
                "organiser",
                "dealer",
                "club",
            ],
            [
                [
                    e.id,
                    e.kind,
                    e.name,
                    e.start.isoformat(),
                    e.country,
                    e.capacity,
                    e.organiser,
                    e.dealer or "",
                    e.club or "",
                ]
                for e in world.events
            ],
        ),
    }
    for name, (header, rows) in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


__all__ = ["FILE_NAMES", "GenerateResult", "generate"]
