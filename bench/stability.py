"""ID stability: how many customers keep their ID when a batch of new records arrives.

Run: .venv/bin/python bench/stability.py [PEOPLE]   (default 20000)
Generates PEOPLE people (seed 7), holds out 1% of the source records (seed 5), resolves the
rest, then resolves everything with the previous assignment and the stored model, as
`c360 resolve` does on a re-run. Counts customers none of whose records ended with a new
record, and how many of them kept their ID with exactly their records; then the same among
those the new records brought no evidence about (none of their records in a decided pair
with a new one), the issue's measure.
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
from linkage.resolve import AMBIGUOUS, resolve
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
    new = {records[i].key for i in held}
    touched = {after[k] for k in new}
    untouched = [c for c in first.customers if c.id not in touched]
    same = sum(all(after[r.key] == c.id for r in c.records) for c in untouched)
    # The measure: customers the new records brought no evidence about, that is,
    # none of their records is in a decided pair (linked, review, separated) with a new one.
    near = {e.b for e in second.pairs if e.a in new} | {
        e.a for e in second.pairs if e.b in new
    }
    clear = [c for c in untouched if not any(r.key in near for r in c.records)]
    moved = [c for c in untouched if any(after[r.key] != c.id for r in c.records)]
    merged = sum(any(after[r.key] in touched for r in c.records) for c in moved)
    # A nameless record that shares a contact point with differently named people goes to
    # review instead of picking one of them (resolve.AMBIGUOUS).
    unsure = {k for e in second.pairs if e.reason == AMBIGUOUS for k in (e.a, e.b)}
    held_out = sum(
        all(r.key in unsure for r in c.records if after[r.key] != c.id)
        and not any(after[r.key] in touched for r in c.records)
        for c in moved
    )
    kept = sum(all(after[r.key] == c.id for r in c.records) for c in clear)
    print(
        f"{len(records):,} records, {len(held):,} new; {len(untouched):,} customers not in a "
        f"customer with a new record; {same:,} kept their ID and records ({same / len(untouched):.2%})"
    )
    print(
        f"  of them {len(clear):,} have no record in a decided pair with a new record (no evidence "
        f"about them): {kept:,} kept their ID and records ({kept / len(clear):.2%}); of the "
        f"{len(moved):,} that changed, {merged:,} merged into a customer a new record joined, "
        f"{held_out:,} had nameless records sent to review as ambiguous; "
        f"{time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
