"""ID stability: how many customers keep their ID when a batch of new records arrives.

Run: .venv/bin/python bench/stability.py [PEOPLE]   (default 20000)
Generates PEOPLE people (seed 7), holds out 1% of the source records (seed 5), resolves the
rest, then resolves everything with the previous assignment and the stored model, as
`c360 resolve` does on a re-run. Counts customers none of whose records met a new record, and
how many of them kept their ID with exactly their records.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from api.pipeline import Gate
from linkage import settings as linkage_settings
from linkage.generate.run import generate
from linkage.resolve import resolve
from linkage.sources import ingest, load_sources
from ontology.model import default
from ontology.validate import validators


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"command: python bench/stability.py {people}")
    with tempfile.TemporaryDirectory() as tmp:
        generate(people, 7, Path(tmp) / "data")
        data = ingest(load_sources(Path(tmp) / "data" / "sources.toml"))
    records = Gate(validators(default()), []).records(data.records)
    sample = random.Random(5).sample  # noqa: S311 - a pinned sample, not cryptography
    held = set(sample(range(len(records)), len(records) // 100))
    settings = linkage_settings.default()
    t0 = time.perf_counter()
    first = resolve([r for i, r in enumerate(records) if i not in held], settings)
    second = resolve(records, settings, first.assignment(), model=first.model)
    after = second.assignment()
    touched = {after[records[i].key] for i in held}
    untouched = [c for c in first.customers if c.id not in touched]
    same = sum(all(after[r.key] == c.id for r in c.records) for c in untouched)
    print(
        f"{len(records):,} records, {len(held):,} new; {len(untouched):,} customers untouched by them; "
        f"{same:,} kept their ID and records ({same / len(untouched):.2%}); {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
