"""Households: people who share an address, a landline, an email or a vehicle.

Shared attributes are household evidence, never identity: they relate two resolved people
instead of merging them. Households grow by union over these links, but never past
``max_size`` people, so a dealer's address typed into many accounts cannot make a
household of hundreds.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
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


@dataclass(frozen=True)
class Home:
    """A household as the graph holds it (person IDs), and the rules that made it."""

    id: str
    members: frozenset[str]
    rules: frozenset[str]


def split(
    home: Home, keys: Mapping[str, Mapping[str, str]], max_size: int
) -> list[Home]:
    """``home`` as its members' household keys still hold it together, after a changed
    record took one of them elsewhere (a move to another address, say).

    ``keys`` holds each member's keys (person -> {key: rule}, junk left out); members are
    grouped by the keys they share as a batch run groups people, never past ``max_size``.
    The largest part keeps the household's ID, so a member who moved away leaves the rest
    where they were; any other part of two or more takes its ID as a batch run names it.
    Members left alone are in no household (the caller may unite them elsewhere).
    """
    people = sorted(keys)
    holders: dict[str, list[int]] = {}
    for i, p in enumerate(people):
        for k in keys[p]:
            holders.setdefault(k, []).append(i)
    shared = [
        Shared(a, b, keys[people[a]][k], k)
        for k, held in holders.items()
        for n, a in enumerate(held)
        for b in held[n + 1 :]
    ]
    parts = sorted(
        households(people, shared, max_size), key=lambda h: (-len(h.members), h.id)
    )
    return [
        Home(
            home.id if n == 0 else h.id,
            frozenset(people[m] for m in h.members),
            frozenset(s.rule for s in h.evidence),
        )
        for n, h in enumerate(parts)
    ]


def regroup(
    homes: Iterable[Home],
    merged: Mapping[str, str],
    removed: Collection[str],
    shared: Iterable[tuple[str, str, str]],
    max_size: int,
) -> tuple[list[Home], list[str]]:
    """The households after an incremental transaction, and the IDs of those that are no more.

    ``homes`` are the graph's households of the people the transaction involves. A person
    merged away is replaced by its survivor (``merged``), one left without records is taken
    out (``removed``); then the new links ``shared`` ((person, person, rule), from the
    transaction's records) unite households as a batch run would, never past ``max_size``.
    A household keeps its ID while it lasts (the larger one's when two unite), so only
    people the transaction brought evidence about change household; a new one takes its ID
    as a batch run names it. Households left with one member are no more.
    """
    homes = sorted(homes, key=lambda h: (-len(h.members), h.id))
    parent: dict[str, str] = {}
    size: dict[str, int] = {}
    rules: dict[str, set[str]] = {}
    named: dict[str, list[Home]] = {}  # root -> the graph's households it holds

    def find(p: str) -> str:
        parent.setdefault(p, p)
        size.setdefault(p, 1)
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def unite(a: str, b: str, why: Iterable[str]) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            if size[ra] + size[rb] > max_size:
                return
            parent[rb] = ra
            size[ra] += size.pop(rb)
            rules.setdefault(ra, set()).update(rules.pop(rb, ()))
            named.setdefault(ra, []).extend(named.pop(rb, []))
        rules.setdefault(ra, set()).update(why)

    for h in homes:
        people = sorted({merged.get(m, m) for m in h.members} - set(removed))
        if not people:
            continue
        # Rooted at a member no household took yet: one a merge brought from another
        # household stays there if the two cannot unite.
        first = find(next((p for p in people if p not in parent), people[0]))
        named.setdefault(first, []).append(h)
        rules.setdefault(first, set()).update(h.rules)
        for p in people:
            unite(first, p, ())
    for a, b, rule in sorted(shared, key=lambda s: (s[2], s[0], s[1])):
        if a != b:
            unite(a, b, (rule,))
    groups: dict[str, set[str]] = {}
    for p in list(parent):
        groups.setdefault(find(p), set()).add(p)
    out: list[Home] = []
    for root, members in groups.items():
        if len(members) < 2:
            continue
        held = named.get(root, [])
        if held:
            hid = min(held, key=lambda h: (-len(h.members), h.id)).id
        else:
            hid = str(uuid.uuid5(NAMESPACE, f"household\x1f{min(members)}"))
        out.append(Home(hid, frozenset(members), frozenset(rules.get(root, ()))))
    kept = {h.id for h in out}
    gone = sorted({h.id for h in homes} - kept)
    return sorted(out, key=lambda h: h.id), gone
