"""Stable customer IDs across re-runs, merges and splits, with lineage.

Given the new clusters and the ID each record had before, every previous ID goes to the
cluster that holds most of its records; a cluster keeps the previous ID with most records
among those it received (ties: the smaller ID) and records the others as absorbed. A
cluster that received none mints a new ID (a split if its records had an ID before). So
unchanged input gives identical IDs, an update leaves untouched customers alone, a merge
keeps the surviving ID and a split mints a new one - each with its lineage.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Key = tuple[str, str]
NAMESPACE = uuid.UUID("6f1d3a52-2c1e-4f0e-9d55-0c360c360c36")


@dataclass(frozen=True, slots=True)
class Assigned:
    id: str
    absorbed: tuple[str, ...] = ()  # previous IDs merged into this one
    split_from: tuple[str, ...] = ()  # previous IDs some of these records carried

    @property
    def change(self) -> str:
        if self.split_from:
            return "split"
        return "merge" if self.absorbed else "kept_or_new"


def mint(keys: Sequence[Key], taken: set[str]) -> str:
    """A deterministic UUID from the smallest record key, unique among ``taken``."""
    source, source_id = min(keys)
    n = 0
    while True:
        salt = f"#{n}" if n else ""
        candidate = str(uuid.uuid5(NAMESPACE, f"{source}\x1f{source_id}{salt}"))
        if candidate not in taken:
            return candidate
        n += 1


def assign(
    clusters: Sequence[Sequence[Key]], previous: Mapping[Key, str]
) -> list[Assigned]:
    """One ``Assigned`` per cluster, in the order given."""
    counts = [Counter(previous[k] for k in c if k in previous) for c in clusters]
    # Each previous ID goes to the cluster holding most of its records (ties: smallest key).
    holders: dict[str, list[int]] = {}
    for i, counter in enumerate(counts):
        for pid in counter:
            holders.setdefault(pid, []).append(i)
    home = {
        pid: min(cands, key=lambda i: (-counts[i][pid], min(clusters[i])))
        for pid, cands in holders.items()
    }
    received: dict[int, list[str]] = {}
    for pid, i in home.items():
        received.setdefault(i, []).append(pid)
    taken = set(previous.values())
    out: list[Assigned] = []
    for i, cluster in enumerate(clusters):
        ids = sorted(received.get(i, []), key=lambda p: (-counts[i][p], p))
        if ids:
            out.append(Assigned(ids[0], tuple(ids[1:])))
            continue
        new = mint(cluster, taken)
        taken.add(new)
        out.append(Assigned(new, (), tuple(sorted(counts[i]))))
    return out
