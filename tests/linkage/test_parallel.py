"""Work shared with helper processes gives exactly what one process gives, in the same order:
ingest and the resolver's comparison keys. A failure in a helper reaches the caller and
leaves no spool files behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from linkage import helper
from linkage import settings as linkage_settings
from linkage.generate.run import generate
from linkage.records import (
    ClubClaim,
    ConsentClaim,
    SourceRecord,
    VehicleClaim,
    from_plain,
    to_plain,
)
from linkage.resolve import _keys, dedupe, resolve
from linkage.sources import _shares, ingest, load_sources


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("par") / "data"
    generate(400, 9, out)
    return out


def _spools(where: Path) -> list[Path]:
    return sorted(where.glob("c360-spool-*"))


@pytest.fixture
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Spool files (here and in the helpers, which inherit TMPDIR) go to a folder of our own."""
    where = tmp_path / "spools"
    where.mkdir()
    monkeypatch.setenv("TMPDIR", str(where))
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


@pytest.mark.parametrize("workers", [2, 3])
def test_helpers_read_what_one_process_reads(
    folder: Path, workers: int, spool_dir: Path
) -> None:
    sources = load_sources(folder / "sources.toml")
    one, shared = ingest(sources, workers=1), ingest(sources, workers=workers)
    assert len(one.records) > 500 and len(one.touchpoints) > 1000
    assert shared.records == one.records
    assert list(shared.touchpoints) == list(one.touchpoints)
    assert shared.quarantined == one.quarantined
    assert shared.referrals == one.referrals
    assert (shared.rows, shared.touchpoint_rows) == (one.rows, one.touchpoint_rows)
    assert shared.unmapped == one.unmapped and shared.reference == one.reference
    # The helpers' files were unlinked once opened here: nothing is left on disk.
    assert _spools(spool_dir) == []
    assert helper.peak_mb() > 10  # each helper said how much memory it took


def test_a_helper_failure_is_raised_here_and_leaves_no_files(
    folder: Path, tmp_path: Path, spool_dir: Path
) -> None:
    sources = load_sources(folder / "sources.toml")
    helper_share = _shares(sources.sources, 2)[1]
    # The helper reads its first source, then finds its second one gone.
    gone = sources.sources[helper_share[1]].file
    moved = tmp_path / gone.name
    gone.rename(moved)
    try:
        with pytest.raises(FileNotFoundError, match=gone.name):
            ingest(sources, workers=2)
    finally:
        moved.rename(gone)
    assert _spools(spool_dir) == []


def test_keys_made_in_a_helper_are_the_same(folder: Path, spool_dir: Path) -> None:
    records, _ = dedupe(ingest(load_sources(folder / "sources.toml")).records)
    keys = [r.key for r in records]
    settings = linkage_settings.default()
    one = _keys(records, keys, settings, workers=1)
    assert len(one[1]) == len(records) > 500
    assert _keys(records, keys, settings, workers=2) == one
    # Several batches come back from the helper: each record keeps its own block keys.
    assert _keys(records, keys, settings, workers=2, batch=97) == one
    # The trained weights differ in the last bits from run to run (DuckDB adds in
    # parallel), so the resolutions are compared by who is whom.
    alone, helped = (resolve(records, settings, workers=w) for w in (1, 2))
    assert helped.assignment() == alone.assignment()
    assert helped.households == alone.households and helped.blocks == alone.blocks
    assert _spools(spool_dir) == []


def test_a_record_survives_its_plain_form() -> None:
    record = SourceRecord(
        "web_form",
        "F-1",
        "2026-01-02T03:04:05",
        "Anna",
        "Rossi",
        "anna@example.org",
        "+39 331 555 1234",
        "IT",
        "IT-001",
        "anna@example.org",
        "+393315551234",
        "APP-9",
        (VehicleClaim("ZDM1234567890ABCD", "S950", "certified", "2020-01-01", None),),
        (ClubClaim("VOC-0001", "17", "2021-05-05", "active", "board"),),
        (("city", "Verona"), ("postcode", "37100")),
        ("EV-1", "EV-2"),
        (ConsentClaim("email", "marketing", "granted", "2026-01-02T03:04:05", "Yes"),),
    )
    assert from_plain(to_plain(record)) == record
