"""Clustering matched pairs into people, strongest evidence first, with guards against chaining.

Plain connected components chain: a survey answer that gives only a shared family email
would glue two partners into one person. Instead, edges are applied in order of strength
(manual merges, then deterministic rules, then Splink scores) with a union-find that
refuses a union whose two sides conflict: different exclusive values (two owner-app
accounts, birth dates further apart than a typo, two records of a source known to hold each person once), a manual
never-link, or - both sides being named - no compatible pair of given
names. A refused edge is kept as ``separated`` evidence and goes to the review queue, so
what the guard decided is visible and reversible.

Co-attendance is evidence too: a pair the model left in the review band, two named records,
joins when the two clusters it spans were at the same event (a ticket under another email
than the person's other records, whose other records include a ticket or a survey answer
about that event). These edges come last, once everything stronger has been applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field, replace

from jellyfish import jaro_winkler_similarity, levenshtein_distance


@dataclass(frozen=True, slots=True)
class Edge:
    """Evidence that two records are one person; higher ``strength`` is applied first."""

    a: int
    b: int
    strength: float
    rule: str
    score: float | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    edge: Edge
    reason: str


@dataclass(slots=True)
class _Side:
    members: list[int]
    exclusive: dict[str, set[str]] = field(default_factory=dict)
    names: set[tuple[str, str | None]] = field(default_factory=set)  # (given, family)
    forbidden: set[int] = field(default_factory=set)
    once: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Person:
    """What a record contributes to the guards."""

    names: tuple[
        tuple[str, str | None], ...
    ] = ()  # (given, family) spellings, e.g. canonical
    exclusive: tuple[tuple[str, str], ...] = ()
    once: str | None = (
        None  # a deduplicated source: at most one of its records per person
    )
    events: frozenset[str] = frozenset()  # events the record places its person at


@dataclass(frozen=True)
class Guards:
    """``exclusive`` maps a field to the edit distance still read as a typo (0 = exact)."""

    exclusive: dict[str, int] = field(default_factory=dict)
    given_name_similarity: float = 0.85


@dataclass(frozen=True)
class Clustering:
    labels: tuple[int, ...]  # record index -> cluster label (its smallest member)
    tree: tuple[Edge, ...]  # the edges that joined clusters (a spanning forest)
    refused: tuple[Refusal, ...]

    def clusters(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i, root in enumerate(self.labels):
            out.setdefault(root, []).append(i)
        return sorted(out.values())


def close(x: str, y: str, similarity: float) -> bool:
    """Same given name up to a typo or an initial ('m' ~ 'marco')."""
    return (
        x == y
        or (len(x) == 1 and y.startswith(x))
        or (len(y) == 1 and x.startswith(y))
        or jaro_winkler_similarity(x, y) >= similarity
    )


def names_compatible(
    a: set[tuple[str, str | None]], b: set[tuple[str, str | None]], similarity: float
) -> bool:
    """Some record of each side has the same given name, both names swapped, or the same
    words of a longer name split elsewhere between given and family name."""
    if not a or not b:
        return True
    for ga, fa in a:
        for gb, fb in b:
            if close(ga, gb, similarity):
                return True
            if fa and fb and close(ga, fb, similarity) and close(fa, gb, similarity):
                return True
            if fa and fb and same_words(f"{ga} {fa}", f"{gb} {fb}", similarity):
                return True
    return False


def same_words(x: str, y: str, similarity: float) -> bool:
    """Three or more words on each side, paired one to one up to a typo.

    'Pedro Miguel | da Rosa' and 'da Rosa Pedro | Miguel' are one name cut in two places
    (a full name parsed family-first, or a compound given name). Two-word names are left to
    the given-name and swap checks: 'Anna Rossi' and 'Marco Rossi' must stay apart.
    """
    left, right = x.split(), y.split()
    if len(left) != len(right) or len(left) < 3:
        return False
    unmatched = list(right)
    for word in left:
        match = next((w for w in unmatched if close(word, w, similarity)), None)
        if match is None:
            return False
        unmatched.remove(match)
    return True


def cluster(
    people: Sequence[Person],
    edges: Iterable[Edge],
    never: Iterable[tuple[int, int]] = (),
    guards: Guards = Guards(),
    co_attended: Iterable[Edge] = (),
) -> Clustering:
    """Union-find over ``edges`` in descending strength; deterministic for the same input.

    Then ``co_attended`` (pairs of the review band): each joins when both its records are
    named and its two clusters share an event (its tree edge names it as its ``value``),
    again and again while one more does (a union can bring the event that another pair was
    waiting for)."""
    n = len(people)
    parent = list(range(n))
    # A cluster's guard facts, made when a union first needs them: most records join
    # nothing or little, and one side per record was a gigabyte at 1M records.
    sides: dict[int, _Side] = {}

    def side(root: int) -> _Side:
        found = sides.get(root)
        if found is None:  # a root never joined is its record alone
            found = sides[root] = _side([root], [people[root]])
        return found

    for x, y in never:
        side(x).forbidden.add(y)
        side(y).forbidden.add(x)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def events(root: int) -> Set[str]:
        found = sides.get(root)
        return found.events if found is not None else people[root].events

    tree: list[Edge] = []
    refused: list[Refusal] = []

    def unite(ra: int, rb: int, e: Edge) -> None:
        a, b = sides[ra], sides[rb]
        if len(a.members) < len(b.members):
            ra, rb, a, b = rb, ra, b, a
        parent[rb] = ra
        a.members += b.members
        for key, values in b.exclusive.items():
            a.exclusive.setdefault(key, set()).update(values)
        a.names |= b.names
        a.forbidden |= b.forbidden
        a.once |= b.once
        a.events |= b.events
        del sides[rb]
        tree.append(e)

    ordered = sorted(edges, key=lambda e: (-e.strength, -(e.score or 0.0), e.a, e.b))
    for e in ordered:
        ra, rb = find(e.a), find(e.b)
        if ra == rb:
            continue
        a, b = side(ra), side(rb)
        reason = _conflict(a, b, guards)
        if reason:
            refused.append(Refusal(e, reason))
            continue
        unite(ra, rb, e)
    waiting = sorted(
        (e for e in co_attended if people[e.a].names and people[e.b].names),
        key=lambda e: (-(e.score or 0.0), e.a, e.b),
    )
    while waiting:
        later = []
        for e in waiting:
            ra, rb = find(e.a), find(e.b)
            if ra == rb:
                continue
            shared = events(ra) & events(rb)
            if not shared:  # most wait: no side is set up for them
                later.append(e)
            elif not _conflict(side(ra), side(rb), guards):
                unite(ra, rb, replace(e, value=min(shared)))  # the event, as evidence
        if len(later) == len(waiting):
            break
        waiting = later
    # Label every cluster by its smallest member so labels do not depend on union order.
    smallest: dict[int, int] = {}
    for i in range(n):
        r = find(i)
        smallest[r] = min(smallest.get(r, i), i)
    return Clustering(
        tuple(smallest[find(i)] for i in range(n)), tuple(tree), tuple(refused)
    )


def _conflict(a: _Side, b: _Side, guards: Guards) -> str | None:
    # sorted: a set of strings iterates in a per-process hash order, and the reason a union
    # was refused must not change between runs
    for key in sorted(a.exclusive.keys() & b.exclusive.keys()):
        tolerance = guards.exclusive.get(key, 0)
        if not any(
            x == y or (tolerance and levenshtein_distance(x, y) <= tolerance)
            for x in a.exclusive[key]
            for y in b.exclusive[key]
        ):
            return f"different {key}"
    if a.once & b.once:
        return f"two records of deduplicated source {min(a.once & b.once)}"
    if (a.forbidden or b.forbidden) and (
        a.forbidden.intersection(b.members) or b.forbidden.intersection(a.members)
    ):
        return "never-link decision"
    if not names_compatible(a.names, b.names, guards.given_name_similarity):
        return "incompatible given names"
    return None


def refusal(a: Sequence[Person], b: Sequence[Person], guards: Guards) -> str | None:
    """Why two groups of records cannot be one person, or None: the guard ``cluster``
    applies, for incremental resolution, where one group is an existing customer."""
    return _conflict(_side([], a), _side([], b), guards)


def _side(members: list[int], people: Iterable[Person]) -> _Side:
    """What the guards know about a group of records."""
    side = _Side(members)
    for p in people:
        for key, value in p.exclusive:
            side.exclusive.setdefault(key, set()).add(value)
        if p.once:
            side.once.add(p.once)
        side.names.update(p.names)
        side.events.update(p.events)
    return side
