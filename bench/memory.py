"""Where the resolver's memory goes: resident memory after each stage, on generated data.

Run: .venv/bin/python bench/memory.py [PEOPLE] [--data DIR] [--seed S]
     (default 100000 people, seed 7; resolves only, no Neo4j)

Prints the process's resident memory now and at its peak (VmRSS / VmHWM from
/proc/self/status) after ingest, after validation and as each resolution stage begins, so a
change to the record or frame layout can be judged against the target of 4 GB per 1M records;
then the largest peak of the helper processes (ingest and keys run in them meanwhile).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from api.pipeline import Gate
from linkage import helper
from linkage.generate.run import generate
from linkage.resolve import resolve
from linkage.settings import default as default_settings
from linkage.sources import ingest, load_sources
from ontology.model import default as default_ontology
from ontology.validate import validators


def memory() -> str:
    """``now / peak`` resident memory in MB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) // 1024
    return f"{values['VmRSS']:>6,} MB now, {values['VmHWM']:>6,} MB peak"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=100_000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"command: python bench/memory.py {args.people} (seed {args.seed})", flush=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if not (data / "sources.toml").exists():
            generate(args.people, args.seed, data)
        model = default_ontology()
        print(f"{'start':<28}{memory()}", flush=True)
        ingested = ingest(load_sources(data / "sources.toml", model))
        print(
            f"{'ingest':<28}{memory()}  ({len(ingested.records):,} records, "
            f"{len(ingested.touchpoints):,} touchpoints)",
            flush=True,
        )
        records = Gate(validators(model), []).records(ingested.records)
        print(f"{'validation':<28}{memory()}", flush=True)

        def stage(what: str, done: int, total: int) -> None:
            if done == 0:
                print(f"{what + ' begins':<28}{memory()}", flush=True)

        resolve(records, default_settings(), progress=stage)
        print(f"{'resolution done':<28}{memory()}", flush=True)
        print(
            f"{'helper processes':<28}{helper.peak_mb():>6,.0f} MB peak (the largest)"
        )


if __name__ == "__main__":
    main()
