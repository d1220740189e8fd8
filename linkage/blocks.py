"""Keys a record is stored under, so one new record finds its candidates by index.

The batch run compares the pairs that share a value of a blocking rule of the model
(``[model] blocking``) or the block of a deterministic identity rule; an incremental run must
compare the same pairs, so each record carries one key per such rule it has values for. A
key is a hash of the rule and its values: it lets Neo4j find records that share an email
without storing the email a second time (the keys are not PII). Household rules get keys
the same way, so a new record also finds the people it shares a home with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from linkage.frame import COLUMNS
from linkage.settings import LinkageSettings


def specs(settings: LinkageSettings) -> tuple[tuple[str, ...], ...]:
    """The column tuples records are blocked on: model blocking, then rule blocks."""
    return tuple(spec for spec, _ in _plan(settings).block)


def block_keys(row: Mapping[str, Any], settings: LinkageSettings) -> list[str]:
    """The hashed keys of ``row`` (a ``linkage.frame.row``), sorted; a list column gives one
    key per element."""
    return _sorted_keys(row, _plan(settings).block)


def home_specs(settings: LinkageSettings) -> dict[tuple[str, ...], str]:
    """The household rules an incremental run can apply by key alone (one exact
    criterion: the key is the whole rule), by their column tuple."""
    return {spec: rule for (spec, _), rule in _plan(settings).home}


def home_keys(row: Mapping[str, Any], settings: LinkageSettings) -> dict[str, str]:
    """The hashed household keys of ``row`` -> the rule each stands for: two records share
    one exactly when that household rule relates them."""
    return {
        k: rule
        for (spec, listy), rule in _plan(settings).home
        for k in _hashes(row, spec, listy)
    }


def stored_keys(row: Mapping[str, Any], settings: LinkageSettings) -> list[str]:
    """The keys a record is stored under in the graph: its blocking and household keys,
    and one per contact point (``CONTACTS``)."""
    return _sorted_keys(row, _plan(settings).stored)


# The columns of the contact points a touchpoint row may name (``linkage.touchpoints.
# contact_key``: "email:...", "phone:...", "app:..."). Every record is stored under their
# keys, so the graph finds who holds a contact point by key, without keeping its value twice.
CONTACTS = {"email": "email", "phone": "phone", "app": "app_account"}


def contact_block_key(contact: str) -> str | None:
    """The key of the records holding ``contact`` (a ``contact_key``), or None for another
    kind of text."""
    kind, _, value = contact.partition(":")
    column = CONTACTS.get(kind)
    return _digest((column,), (value,)) if column and value else None


def contact_keys(row: Mapping[str, Any]) -> list[str]:
    """The keys of the contact points ``row`` (a ``linkage.frame.row``) holds, sorted."""
    return sorted(contact_values(row))


def contact_values(row: Mapping[str, Any]) -> dict[str, str]:
    """The key of each contact point ``row`` (a ``linkage.frame.row``) holds -> the
    contact point (a ``contact_key``): what a touchpoint that named it names."""
    return {
        _digest((column,), (row[column],)): f"{kind}:{row[column]}"
        for kind, column in CONTACTS.items()
        if row.get(column) is not None
    }


Spec = tuple[tuple[str, ...], bool]  # the columns, and whether one of them is a list


class _Plan(NamedTuple):
    block: tuple[Spec, ...]
    home: tuple[tuple[Spec, str], ...]
    stored: tuple[Spec, ...]


# Keys are made for every record of a batch: what the settings decide is worked out once
# per settings object (the last one used; a run uses one).
_last: list[tuple[LinkageSettings, _Plan]] = []


def _plan(settings: LinkageSettings) -> _Plan:
    if _last and _last[0][0] is settings:
        return _last[0][1]
    block = list(settings.model.blocking)
    block += [(r.criteria[0].field,) for r in settings.identity_rules]
    home = [
        ((r.criteria[0].field,), r.name)
        for r in settings.household_rules
        if len(r.criteria) == 1 and r.criteria[0].method == "exact"
    ]
    plan = _Plan(
        tuple(_spec(s) for s in dict.fromkeys(block)),
        tuple((_spec(s), rule) for s, rule in home),
        tuple(
            _spec(s)
            for s in dict.fromkeys(
                [*block, *(s for s, _ in home), *((c,) for c in CONTACTS.values())]
            )
        ),
    )
    _last[:] = [(settings, plan)]
    return plan


def _spec(columns: tuple[str, ...]) -> Spec:
    return columns, any(COLUMNS.get(c) == "list" for c in columns)


def _sorted_keys(row: Mapping[str, Any], specs: tuple[Spec, ...]) -> list[str]:
    out: set[str] = set()
    for spec, listy in specs:
        if listy:
            out.update(_hashes(row, spec, listy))
            continue
        values = tuple(map(row.get, spec))  # most specs: text columns, one key
        if None not in values:
            out.add(_digest(spec, values))
    return sorted(out)


def _hashes(row: Mapping[str, Any], spec: tuple[str, ...], listy: bool) -> list[str]:
    parts: list[tuple[Any, ...]] = [()]
    for col in spec:
        value = row.get(col)
        if value is None or (isinstance(value, list) and not value):
            return []
        each = value if listy and COLUMNS.get(col) == "list" else [value]
        parts = [(*p, v) for p in parts for v in each]
    return [_digest(spec, p) for p in parts]


# A person's records repeat their values (the same email, postcode, name): each key is
# hashed once while it is recent. Bounded, so a run of millions of records stays small.
@lru_cache(maxsize=1 << 18)
def _digest(spec: tuple[str, ...], values: tuple[Any, ...]) -> str:
    text = "\x1f".join(["+".join(spec), *map(str, values)])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
