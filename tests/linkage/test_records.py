"""Ingest: every input row is loaded or quarantined with a reason; bad sources files are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkage.records import Quarantined
from linkage.sources import SourcesError, full_name_parts, ingest, load_sources
from tests.conftest import HANDMADE


def _whole_row_quarantines(quarantined: list[Quarantined]) -> int:
    return sum(1 for q in quarantined if q.field is None)


def test_handmade_fixture_reconciles() -> None:
    data = ingest(load_sources(HANDMADE))
    assert data.lines == 21
    assert data.lines == len(data.records) + _whole_row_quarantines(data.quarantined)
    reasons = {q.reason for q in data.quarantined}
    assert "missing source or source_id" in reasons
    assert "invalid VIN (ISO 3779)" in reasons
    # The record with a bad VIN still loads; only the vehicle claim is held back.
    assert ("dealer_crm", "PL-007/P-0091") in {r.key for r in data.records}


def _sources(tmp_path: Path, lines: list[str], columns: str = "") -> Path:
    (tmp_path / "forms.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(
        'version = 1\n[[source]]\nname = "web_form"\nfile = "forms.jsonl"\nformat = "jsonl"\nid = ["id"]\n'
        '[source.columns]\nfirst_name = "givenName"\nemail = "email"\nphone = "phone"\ncountry = "country"\n'
        '"vehicles[].vin" = "vehicles[].vin"\n"clubs[].club" = "clubs[].club"\nat = "updatedAt"\n'
        + columns,
        encoding="utf-8",
    )
    return path


def test_garbage_is_quarantined_not_raised(tmp_path: Path) -> None:
    lines = [
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"first_name": "No Id"}),
        json.dumps(
            {
                "id": "W-9",
                "email": "x@y.example",
                "vehicles": [{"vin": 42}],
                "clubs": ["?"],
            }
        ),
        json.dumps({"id": "W-10", "first_name": "\u0000" * 3}),
        "\ufffd\ufffd",
        json.dumps(
            {
                "id": "W-11",
                "first_name": "Ana",
                "phone": "+" + "9" * 300,
                "at": "31/02/2024",
            }
        ),
        json.dumps(
            {
                "id": "W-12",
                "first_name": "Bo",
                "vehicles": "not a list",
                "shoe_size": 44,
            }
        ),
    ]
    data = ingest(load_sources(_sources(tmp_path, lines)))
    assert (
        data.lines == len(lines) - 3
    )  # three lines are not JSON objects: quarantined before counting rows
    assert data.lines + 3 == len(data.records) + _whole_row_quarantines(
        data.quarantined
    )
    # W-10's name is three NUL characters: no letters, so nothing identifies a person.
    assert [r.source_id for r in data.records] == ["W-9", "W-11", "W-12"]
    reasons = {q.reason for q in data.quarantined}
    assert {
        "not a JSON object",
        "missing source or source_id",
        "invalid VIN (ISO 3779)",
        "club membership without club code",
        "not a valid phone number",
        "expected a list",
        "not a date (ISO 8601)",
    } <= reasons
    assert any(r.startswith("not JSON") for r in reasons)
    assert data.unmapped == {"web_form": {"shoe_size"}}


def test_bad_sources_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        'version = 2\n[[source]]\nname = "a"\nfile = "missing.csv"\nformat = "xml"\nid = "x"\n'
        '[source.columns]\nX = "shoeSize"\n[reference]\ndealers = "nope.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    for part in (
        "version must be 1",
        "file 'missing.csv' not found",
        "format must be csv or jsonl",
        "id must be a list",
        "unknown property 'shoeSize'",
        "reference dealers",
    ):
        assert part in err.value.message
    path.write_text("[[source]\n", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid TOML"):
        load_sources(path)


@pytest.mark.parametrize(
    ("full", "order", "country", "expected"),
    [
        ("Giuseppe Bellini", "given_first", "IT", ("Giuseppe", "Bellini")),
        ("Anna Maria Keller", "given_first", "DE", ("Anna Maria", "Keller")),
        ("BELLINI GIUSEPPE", "upper_is_family_first", None, ("GIUSEPPE", "BELLINI")),
        ("Giuseppe Bellini", "upper_is_family_first", None, ("Giuseppe", "Bellini")),
        ("山田 太郎", "by_country", "JP", ("太郎", "山田")),
        ("Dahl", "given_first", "SE", (None, "Dahl")),
        ("Joris van de Wal", "given_first", "NL", ("Joris", "van de Wal")),
        ("Leo da Conceição", "by_country", "BR", ("Leo", "da Conceição")),
        (
            "VAN DEN BRANDE TIMOTHEE",
            "upper_is_family_first",
            None,
            ("TIMOTHEE", "VAN DEN BRANDE"),
        ),
        (
            "QUINTERO JOSE ANTONIO",
            "upper_is_family_first",
            None,
            ("JOSE ANTONIO", "QUINTERO"),
        ),
        ("Van Morrison", "given_first", "GB", ("Van", "Morrison")),
        ("DE LUCA", "upper_is_family_first", None, ("LUCA", "DE")),
    ],
)
def test_full_name_split(
    full: str, order: str, country: str | None, expected: tuple[str | None, str]
) -> None:
    assert full_name_parts(full, order, country) == expected
