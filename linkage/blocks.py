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
from typing import Any

from linkage.frame import COLUMNS
from linkage.settings import LinkageSettings


def specs(settings: LinkageSettings) -> tuple[tuple[str, ...], ...]:
    """The column tuples records are blocked on: model blocking, then rule blocks."""
    out = list(settings.model.blocking)
    out += [(r.criteria[0].field,) for r in settings.identity_rules]
    return tuple(dict.fromkeys(out))


def block_keys(row: Mapping[str, Any], settings: LinkageSettings) -> list[str]:
    """The hashed keys of ``row`` (a ``linkage.frame.row``), sorted; a list column gives one
    key per element."""
    return sorted({k for spec in specs(settings) for k in _hashes(row, spec)})


def home_specs(settings: LinkageSettings) -> dict[tuple[str, ...], str]:
    """The household rules an incremental run can apply by key alone (one exact
    criterion: the key is the whole rule), by their column tuple."""
    return {
        (r.criteria[0].field,): r.name
        for r in settings.household_rules
        if len(r.criteria) == 1 and r.criteria[0].method == "exact"
    }


def home_keys(row: Mapping[str, Any], settings: LinkageSettings) -> dict[str, str]:
    """The hashed household keys of ``row`` -> the rule each stands for: two records share
    one exactly when that household rule relates them."""
    return {
        k: rule
        for spec, rule in home_specs(settings).items()
        for k in _hashes(row, spec)
    }


def stored_keys(row: Mapping[str, Any], settings: LinkageSettings) -> list[str]:
    """The keys a record is stored under in the graph: its blocking and household keys."""
    return sorted({*block_keys(row, settings), *home_keys(row, settings)})


def _hashes(row: Mapping[str, Any], spec: tuple[str, ...]) -> list[str]:
    parts: list[list[str]] = [[]]
    for col in spec:
        value = row.get(col)
        if value is None or (isinstance(value, list) and not value):
            return []
        values = value if COLUMNS.get(col) == "list" else [value]
        parts = [[*p, str(v)] for p in parts for v in values]
    return [
        hashlib.blake2b(
            "\x1f".join(["+".join(spec), *p]).encode(), digest_size=12
        ).hexdigest()
        for p in parts
    ]
