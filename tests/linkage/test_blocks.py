"""Blocking keys: two records share one exactly when a blocking rule would compare them."""

from __future__ import annotations

from pathlib import Path

from api.pipeline import Gate
from linkage import frame as frames
from linkage.blocks import block_keys, specs
from linkage.generate.run import generate
from linkage.settings import default
from linkage.sources import ingest, load_sources
from ontology.model import default as ontology
from ontology.validate import validators


def _agree(left: dict, right: dict, spec: tuple[str, ...]) -> bool:  # type: ignore[type-arg]
    for col in spec:
        a, b = left.get(col), right.get(col)
        if not a or not b:
            return False
        if isinstance(a, list):
            if not set(a) & set(b):
                return False
        elif a != b:
            return False
    return True


def test_shared_key_iff_a_blocking_rule_compares_the_pair(tmp_path: Path) -> None:
    generate(250, 9, tmp_path)
    data = ingest(load_sources(tmp_path / "sources.toml"))
    records = Gate(validators(ontology()), []).records(data.records)
    settings = default()
    rows = [frames.row(r) for r in records]
    keys = [set(block_keys(r, settings)) for r in rows]
    assert all(len(k) == 24 and int(k, 16) >= 0 for ks in keys for k in ks)
    compared = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            expected = any(_agree(rows[i], rows[j], s) for s in specs(settings))
            assert bool(keys[i] & keys[j]) == expected, (records[i].key, records[j].key)
            compared += expected
    assert compared > 200


def test_keys_hide_the_values_and_do_not_depend_on_order() -> None:
    settings = default()
    row = {"email": "anna@example.org", "given_canon": "anna", "family": "keller"}
    keys = block_keys(row, settings)
    assert keys == sorted(keys)
    assert not any("anna" in k for k in keys)
    assert block_keys(dict(reversed(row.items())), settings) == keys
    assert block_keys({}, settings) == []
