"""The first-cut resolver on the demo records: who merges, who must not, and why."""

from __future__ import annotations

import random

from linkage.exact import resolve
from linkage.records import SourceRecord
from linkage.sources import ingest, load_sources
from tests.conftest import HANDMADE


def _records() -> list[SourceRecord]:
    return ingest(load_sources(HANDMADE)).records


def test_bellini_three_systems_one_person_with_evidence() -> None:
    persons = resolve(_records())
    bellini = next(
        p for p in persons if ("owner_app", "u-5f2c") in {r.key for r in p.records}
    )
    assert {r.key for r in bellini.records} == {
        ("dealer_crm", "IT-003/A-88121"),
        ("owner_app", "u-5f2c"),
        ("ticketing", "T-2024-7781"),
    }
    rules = {link.record: (link.rule, link.value) for link in bellini.links}
    assert rules[("owner_app", "u-5f2c")] == ("same_phone", "+393315551234")
    assert rules[("ticketing", "T-2024-7781")] == (
        "same_email",
        "g.bellini@mail.example.it",
    )
    # Survivorship: the app identity's name wins, both emails are kept.
    assert bellini.display_name == "Beppe Bellini"
    assert bellini.emails == (
        "beppe.bellini@inbox.example",
        "g.bellini@mail.example.it",
    )


def test_homonyms_stay_apart() -> None:
    rossis = [p for p in resolve(_records()) if p.family_name == "Rossi"]
    assert len(rossis) == 2
    assert {p.preferred_dealer for p in rossis} == {"IT-003", "IT-011"}


def test_same_input_in_any_order_gives_same_ids() -> None:
    records = _records()
    first = [(p.id, tuple(r.key for r in p.records)) for p in resolve(records)]
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    assert [(p.id, tuple(r.key for r in p.records)) for p in resolve(shuffled)] == first
    assert len(first) == 8
