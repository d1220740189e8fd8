"""Blocking keys a record is stored under, so one new record finds its candidates by index.

The batch run compares the pairs that share a value of a blocking rule of the model
(``[model] blocking``) or the block of a deterministic identity rule; an incremental run must
compare the same pairs, so each record carries one key per such rule it has values for. A
key is a hash of the rule and its values: it lets Neo4j find records that share an email
without storing the email a second time (the keys are not PII).
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
    keys: set[str] = set()
    for spec in specs(settings):
        parts: list[list[str]] = [[]]
        for col in spec:
            value = row.get(col)
            if value is None or (isinstance(value, list) and not value):
                parts = []
                break
            values = value if COLUMNS.get(col) == "list" else [value]
            parts = [[*p, str(v)] for p in parts for v in values]
        for p in parts:
            text = "\x1f".join(["+".join(spec), *p])
            keys.add(hashlib.blake2b(text.encode(), digest_size=12).hexdigest())
    return sorted(keys)
