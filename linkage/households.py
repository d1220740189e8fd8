"""Households: people who share an address, a landline, an email or a vehicle.

Shared attributes are household evidence, never identity: they relate two resolved people
instead of merging them. Households grow by union over these links, but never past
``max_size`` people, so a dealer's address typed into many accounts cannot make a
household of hundreds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from linkage.ids import NAMESPACE


@dataclass(frozen=True, slots=True)
class Shared:
    """Two people (cluster indexes) who share a value, by which rule."""

    a: int
    b: int
    rule: str
    value: str


@dataclass(frozen=True)
class Household:
    id: str
    members: tuple[int, ...]  # cluster indexes
    evidence: tuple[Shared, ...]


def households(
    person_ids: Sequence[str], shared: Iterable[Shared], max_size: int
) -> list[Household]:
    """Group people linked by shared values; a household's ID derives from its smallest member ID."""
    parent = list(range(len(person_ids)))
    size = [1] * len(person_ids)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    used: list[Shared] = []
    for s in sorted(shared, key=lambda s: (s.rule, s.a, s.b)):
        ra, rb = find(s.a), find(s.b)
        if ra == rb:
            used.append(s)
            continue
        if size[ra] + size[rb] > max_size:
            continue
        parent[rb] = ra
        size[ra] += size[rb]
        used.append(s)
    groups: dict[int, list[int]] = {}
    for i in range(len(person_ids)):
        groups.setdefault(find(i), []).append(i)
    evidence: dict[int, list[Shared]] = {}
    for s in used:
        evidence.setdefault(find(s.a), []).append(s)
    out = []
    for root, members in groups.items():
        if len(members) < 2:
            continue
        smallest = min(person_ids[m] for m in members)
        hid = str(uuid.uuid5(NAMESPACE, f"household\x1f{smallest}"))
        out.append(
            Household(hid, tuple(sorted(members)), tuple(evidence.get(root, [])))
        )
    return sorted(out, key=lambda h: h.id)
