"""Blocking keys: two records share one exactly when a blocking rule would compare them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from api.pipeline import Gate
from linkage import frame as frames
from linkage.blocks import (
    block_keys,
    contact_block_key,
    home_keys,
    specs,
    stored_keys,
)
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


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("blocks")
    generate(250, 9, folder)
    data = ingest(load_sources(folder / "sources.toml"))
    return [
        frames.row(r) for r in Gate(validators(ontology()), []).records(data.records)
    ]


def test_shared_key_iff_a_blocking_rule_compares_the_pair(rows: list[dict]) -> None:  # type: ignore[type-arg]
    settings = default()
    keys = [set(block_keys(r, settings)) for r in rows]
    assert all(len(k) == 24 and int(k, 16) >= 0 for ks in keys for k in ks)
    compared = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            expected = any(_agree(rows[i], rows[j], s) for s in specs(settings))
            assert bool(keys[i] & keys[j]) == expected, (rows[i], rows[j])
            compared += expected
    assert compared > 200


def test_shared_home_key_iff_a_household_rule_relates_the_pair(
    rows: list[dict],  # type: ignore[type-arg]
) -> None:
    settings = default()
    homes = [home_keys(r, settings) for r in rows]
    related = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            expected = {
                rule.name
                for rule in settings.household_rules
                if _agree(rows[i], rows[j], (rule.criteria[0].field,))
            }
            shared = {homes[i][k] for k in homes[i].keys() & homes[j].keys()}
            assert shared == expected, (rows[i], rows[j])
            related += bool(expected)
    assert related > 20
    # A record is stored under both kinds of key.
    for r, mine in zip(rows, homes, strict=True):
        assert stored_keys(r, settings) == sorted({*block_keys(r, settings), *mine})


def test_keys_hide_the_values_and_do_not_depend_on_order() -> None:
    settings = default()
    row = {"email": "anna@example.org", "given_canon": "anna", "family": "keller"}
    keys = block_keys(row, settings)
    assert keys == sorted(keys)
    assert not any("anna" in k for k in keys)
    assert block_keys(dict(reversed(row.items())), settings) == keys
    assert block_keys({}, settings) == []


def test_a_contact_point_s_key_is_the_key_of_the_records_holding_it(
    tmp_path: Path,
) -> None:
    """A touchpoint row that names an email, a phone or an app account finds the records
    holding it by key, also under settings that block on none of them."""
    generate(250, 9, tmp_path)
    data = ingest(load_sources(tmp_path / "sources.toml"))
    settings = replace(default(), rules=(), model=replace(default().model, blocking=()))
    stored = {r.key: set(stored_keys(frames.row(r), settings)) for r in data.records}
    holders: dict[str, set[tuple[str, str]]] = {}
    for r in data.records:
        for kind, value in (
            ("email", r.email_key),
            ("phone", r.phone_key),
            ("app", r.app_account),
        ):
            if value:
                holders.setdefault(f"{kind}:{value}", set()).add(r.key)
    named = {t.owner.value[0] for t in data.touchpoints if t.owner.kind == "contact"}
    assert len(named & holders.keys()) > 50 and {c[:4] for c in named} >= {
        "emai",
        "phon",
        "app:",
    }
    for contact in named:
        key = contact_block_key(contact)
        assert key is not None
        assert {r for r, keys in stored.items() if key in keys} == holders.get(
            contact, set()
        )
    assert contact_block_key("fax:+391234") is None
