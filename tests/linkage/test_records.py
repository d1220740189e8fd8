"""Ingest: every input row is loaded or quarantined with a reason; bad sources files are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkage.records import Quarantined, parse_record
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
    # Every line counts, the three that are not JSON objects too: each is a record or in
    # the quarantine.
    assert data.lines == len(lines)
    assert data.lines == len(data.records) + _whole_row_quarantines(data.quarantined)
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


def _crm(tmp_path: Path, rows: list[str]) -> Path:
    """A CSV source with a date format, flat and list columns and extra attributes."""
    header = "ID;FIRST;BORN;CITY;EMAIL;CHANGED;CLUB;SINCE"
    (tmp_path / "crm.csv").write_text(
        "\n".join([header, *rows]) + "\n", encoding="utf-8"
    )
    path = tmp_path / "sources.toml"
    path.write_text(
        'version = 1\n[[source]]\nname = "crm"\nfile = "crm.csv"\nformat = "csv"\n'
        'delimiter = ";"\nid = ["ID"]\ndate_format = "%d.%m.%Y"\n[source.columns]\n'
        'FIRST = "givenName"\nBORN = "birthDate"\nCITY = "city"\nEMAIL = "email"\n'
        'CHANGED = "updatedAt"\nCLUB = "clubs[].club"\nSINCE = "clubs[].since"\n',
        encoding="utf-8",
    )
    return path


def test_a_repeated_bad_date_is_quarantined_every_time(tmp_path: Path) -> None:
    # Parsed dates are cached by text: the cache must not swallow a repeat's quarantine.
    rows = [
        "C-1;Ana;31.02.1990;Verona;ana@example.com;01.02.2024;VOC-1;",
        "C-2;Bo;31.02.1990;Verona;bo@example.com;01.02.2024;VOC-1;",
        "C-3;Cy;14.05.1977;;cy@example.com;31.02.1990;VOC-1;",
    ]
    data = ingest(load_sources(_crm(tmp_path, rows)))
    assert [(q.location, q.field, q.value) for q in data.quarantined] == [
        ("crm.csv:2", "birthDate", "31.02.1990"),
        ("crm.csv:3", "birthDate", "31.02.1990"),
        ("crm.csv:4", "updatedAt", "31.02.1990"),
    ]
    assert {q.reason for q in data.quarantined} == {"not a date (%d.%m.%Y)"}
    assert [r.updated_at for r in data.records] == ["2024-02-01", "2024-02-01", None]
    assert data.records[2].attributes == (("birthDate", "1977-05-14"),)


def test_record_values_follow_the_column_mapping(tmp_path: Path) -> None:
    rows = ["C-1;Ana;14.05.1977;Verona;ana@example.com;01.02.2024;VOC-1;2020-09-10"]
    (record,) = ingest(load_sources(_crm(tmp_path, rows))).records
    assert (record.source, record.source_id, record.first_name) == ("crm", "C-1", "Ana")
    assert record.updated_at == "2024-02-01"
    assert record.attributes == (("birthDate", "1977-05-14"), ("city", "Verona"))
    assert [(c.club, c.since) for c in record.clubs] == [("VOC-1", "2020-09-10")]


def test_attributes_given_to_parse_record_are_those_with_attributes_adds() -> None:
    raw = {"source": "crm", "source_id": "C-1", "first_name": "Ana"}
    extra = {"city": "Verona", "birthDate": "1977-05-14"}
    direct = parse_record(raw, "here", [], tuple(sorted(extra.items())))
    later = parse_record(raw, "here", [])
    assert later is not None
    assert direct == later.with_attributes(extra)


def test_a_record_with_a_key_but_no_name_still_loads() -> None:
    # The key is checked before the name (a name key costs a transliteration).
    quarantine: list[Quarantined] = []
    raw = {"source": "s", "source_id": "1", "first_name": "\u0000", "email": "a@b.it"}
    record = parse_record(raw, "here", quarantine)
    assert record is not None and record.email_key == "a@b.it"
    assert quarantine == []
    assert parse_record({**raw, "email": None}, "here", quarantine) is None
    assert [q.reason for q in quarantine] == [
        "no name, email, phone or account to identify a person"
    ]
