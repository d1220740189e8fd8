"""Golden record: per field, configured rules pick one value and say which record gave it.

Rules are tried in order until one decides: ``source_priority`` (the first source in the
configured order that has a value), ``most_recent`` (latest ``updated_at``), ``most_frequent``
(the value most records agree on; a tie goes to the next rule) and ``non_empty`` (any
value, by record key). The name is one field (given and family from the same record), so
a golden name is never half from one system and half from another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from linkage.records import SourceRecord

Getter = Callable[[SourceRecord], object | None]


@dataclass(frozen=True, slots=True)
class Golden:
    value: object
    record: tuple[str, str]
    rule: str


def _name(r: SourceRecord) -> tuple[str | None, str | None] | None:
    return (r.first_name, r.last_name) if (r.first_name or r.last_name) else None


def _attr(name: str) -> Getter:
    def get(r: SourceRecord) -> str | None:
        # As dict(r.attributes) would: the last wins.
        for k, v in reversed(r.attributes):
            if k == name:
                return v
        return None

    return get


GETTERS: dict[str, Getter] = {
    "name": _name,
    "birth_date": _attr("birthDate"),
    "country": lambda r: r.country,
    "preferred_dealer": lambda r: r.preferred_dealer,
    "language": _attr("language"),
}


def pick(
    records: Sequence[SourceRecord],
    field: str,
    rules: Sequence[str],
    source_priority: Sequence[str],
) -> Golden | None:
    """The golden value of ``field`` among ``records``, or None when no record has one."""
    get = GETTERS[field]
    candidates = sorted(
        ((r, v) for r in records if (v := get(r)) is not None), key=lambda rv: rv[0].key
    )
    if not candidates:
        return None
    for rule in (*rules, "non_empty"):
        chosen = _apply(rule, candidates, source_priority)
        if chosen is not None:
            r, v = chosen
            return Golden(v, r.key, rule)
    return None  # unreachable: non_empty always decides


def _apply(
    rule: str,
    candidates: list[tuple[SourceRecord, object]],
    source_priority: Sequence[str],
) -> tuple[SourceRecord, object] | None:
    if rule == "source_priority":
        rank = _rank(tuple(source_priority))
        best = min(rank.get(r.source, len(rank)) for r, _ in candidates)
        if best == len(rank):
            return None
        tied = [rv for rv in candidates if rank.get(rv[0].source) == best]
        # Within the winning source, the most recent record speaks for it.
        return max(tied, key=lambda rv: rv[0].updated_at or "")
    if rule == "most_recent":
        dated = [rv for rv in candidates if rv[0].updated_at]
        return max(dated, key=lambda rv: rv[0].updated_at or "") if dated else None
    if rule == "most_frequent":
        counts = Counter(v for _, v in candidates).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            return None
        return next(rv for rv in candidates if rv[1] == counts[0][0])
    return candidates[0]  # non_empty


@lru_cache(maxsize=16)
def _rank(source_priority: tuple[str, ...]) -> dict[str, int]:
    """Each source's place in the priority order (asked once per field and customer)."""
    return {s: i for i, s in enumerate(source_priority)}
