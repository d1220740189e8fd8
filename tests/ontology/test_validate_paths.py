"""The validator's shortcut for plain strings says exactly what the general path says."""

from __future__ import annotations

from typing import Any

import pytest

from api.pipeline import Gate
from linkage.records import parse_record
from ontology.model import DEFAULT_PATH, Ontology, load
from ontology.validate import validators


class _Str(str):
    """A str that is not exactly ``str``: the validator takes its general path for it."""


@pytest.fixture(scope="module")
def model() -> Ontology:
    return load(DEFAULT_PATH)


VALUES = [
    "",
    " ",
    "x",
    "IT",
    "it",
    "dealer_crm",
    "2024-06-11",
    "2024-06-11T10:00",
    "x" * 401,
]


def test_plain_strings_get_the_general_verdict(model: Ontology) -> None:
    checked = 0
    for validator in validators(model).values():
        for name, compiled in validator.fields.items():
            if not compiled.text:
                continue
            for value in VALUES:
                props: dict[str, Any] = {name: value}
                assert validator.check(props) == validator.check({name: _Str(value)})
                checked += 1
    assert checked > 100  # many classes have string properties


def test_gate_keeps_valid_records_and_quarantines_the_rest(model: Ontology) -> None:
    raws = [
        {"source": "crm", "source_id": "C-1", "first_name": "Ana", "country": "IT"},
        {"source": "crm", "source_id": "C-2", "first_name": "Bo", "country": "ITA"},
        {"source": "Bad Source", "source_id": "C-3", "first_name": "x" * 201},
        {"source": "crm", "source_id": "C-4", "first_name": "Cy"},
    ]
    records = [r for raw in raws if (r := parse_record(raw, "here", []))]
    gate = Gate(validators(model), [])
    assert [r.source_id for r in gate.records(records)] == ["C-1", "C-4"]
    assert [(q.location, q.field, q.reason) for q in gate.quarantined] == [
        ("crm/C-2", "countryCode", "SourceRecordShape: does not match ^[A-Z]{2}$"),
        (
            "Bad Source/C-3",
            "source",
            "SourceRecordShape: does not match ^[a-z][a-z0-9_]*$",
        ),
        (
            "Bad Source/C-3",
            "givenName",
            "SourceRecordShape: longer than 200 characters",
        ),
    ]
    assert gate.record_row(records[0])["props"] == {
        "source": "crm",
        "sourceId": "C-1",
        "givenName": "Ana",
        "countryCode": "IT",
    }
