"""A content checksum of the whole graph, order-free, to prove two loads gave the same graph.

Every node's labels and properties, and every relationship's type, properties and its
endpoints' labels and key properties, hashed one by one and summed (so order does not
matter), streamed from Neo4j. ``full`` covers everything, exactly: a re-run on unchanged
input must leave it unchanged. ``content`` is for comparing two separate runs (of different
code, or one interrupted and resumed): it leaves out the values that are the time of a run
(``RUN_TIME``) and the noise of training, which is not bit-for-bit repeatable (floats
rounded to 10 significant digits, the trained model's random ``linker_uid``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import neo4j

KEYS = ("source", "sourceId", "id", "vin", "code", "value", "blockKey", "version")
RUN_TIME = {
    ("rel", "RESOLVED_TO", "at"),
    ("node", "LinkageModel", "at"),
    ("rel", "IN_SEGMENT", "evaluatedAt"),
    ("node", "Segment", "evaluatedAt"),
    ("node", "Person", "valueScoredAt"),
}
MASK = (1 << 128) - 1


def checksum(
    driver: neo4j.Driver, dump: Path | None = None, database: str | None = None
) -> dict[str, Any]:
    """Counts by label and type, and the ``full`` and ``content`` checksums (hex);
    ``dump`` writes the hashed lines, sorted, to diff two graphs with."""
    labels: Counter[str] = Counter()
    types: Counter[str] = Counter()
    keys: dict[str, str] = {}
    full = content = 0
    lines: list[str] | None = [] if dump else None
    with driver.session(database=database, fetch_size=10_000) as session:
        for rec in session.run(
            "MATCH (n) RETURN elementId(n) AS e, labels(n) AS l, properties(n) AS p"
        ):
            ls, props = sorted(rec["l"]), rec["p"]
            labels.update(ls)
            keys[rec["e"]] = _text([ls, [(k, props[k]) for k in KEYS if k in props]])
            f, c = _digests("node", ls, props, [], lines)
            full, content = (full + f) & MASK, (content + c) & MASK
        for rec in session.run(
            "MATCH (a)-[r]->(b) "
            "RETURN elementId(a) AS a, type(r) AS t, elementId(b) AS b, properties(r) AS p"
        ):
            types[rec["t"]] += 1
            ends = [keys[rec["a"]], keys[rec["b"]]]
            f, c = _digests("rel", [rec["t"]], rec["p"], ends, lines)
            full, content = (full + f) & MASK, (content + c) & MASK
    if dump and lines is not None:
        dump.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    return {
        "nodes": sum(1 for _ in keys),
        "relationships": sum(types.values()),
        "labels": dict(sorted(labels.items())),
        "types": dict(sorted(types.items())),
        "full": f"{full:032x}",
        "content": f"{content:032x}",
    }


def _digests(
    kind: str,
    names: list[str],
    props: dict[str, Any],
    ends: list[str],
    lines: list[str] | None,
) -> tuple[int, int]:
    items = sorted(props.items())
    kept = [
        (k, v) for k, v in items if not any((kind, n, k) in RUN_TIME for n in names)
    ]
    if names == ["LinkageModel"]:
        kept = [(k, _model(v) if k == "modelJson" else v) for k, v in kept]
    text = _text([kind, names, ends, kept], rounded=True)
    if lines is not None:
        lines.append(text)
    return _hash(_text([kind, names, ends, items])), _hash(text)


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest())


def _text(value: Any, rounded: bool = False) -> str:
    if isinstance(value, list | tuple):
        return "[" + ",".join(_text(v, rounded) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.10g}" if rounded else repr(value)
    return f"{type(value).__name__}:{value}"


def _model(text: str) -> str:
    def clean(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: clean(x) for k, x in sorted(v.items()) if k != "linker_uid"}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return float(f"{v:.10g}") if isinstance(v, float) else v

    return json.dumps(clean(json.loads(text)))
