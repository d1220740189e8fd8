"""Tombstones are keyed hashes: the key decides them, a missing key file is created private,
and an import skips exactly what they name."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from linkage.records import SourceRecord
from linkage.tombstones import Tombstones, digest, privacy_key, record_ident
from linkage.touchpoints import Directory, Owner, PersonView, Touchpoint


def _record(source: str, sid: str) -> SourceRecord:
    return SourceRecord(
        source, sid, None, "Ada", "Lovelace", None, None, None, "IT", None, None, None
    )


def test_the_key_decides_the_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("C360_PRIVACY_KEY", raising=False)
    path = tmp_path / "c360" / "privacy.key"
    key = privacy_key(path)
    assert len(key) == 64 and privacy_key(path) == key  # made once, then read
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ident = "email:ada@example.com"
    assert digest(key, ident) != digest(b"another key", ident)
    # A hex digest only: no part of the value (a random digest may well spell "ada").
    assert re.fullmatch(r"[0-9a-f]{64}", digest(key, ident))
    monkeypatch.setenv("C360_PRIVACY_KEY", "from the environment")
    assert privacy_key(path) == b"from the environment"


def test_an_import_skips_what_the_tombstones_name() -> None:
    key = b"k"
    stones = Tombstones(
        key,
        frozenset(
            {
                digest(key, record_ident(("web_form", "WF-1"))),
                digest(key, "email:gone@example.com"),
            }
        ),
    )
    kept = stones.records([_record("web_form", "WF-1"), _record("web_form", "WF-2")])
    assert [r.source_id for r in kept] == ["WF-2"]
    # the erased email now belongs to nobody, the shared one to somebody still here
    directory = Directory(
        [PersonView("p2", (("web_form", "WF-2"),), ("email:kept@example.com",), ())]
    )
    touch = [
        Touchpoint(
            "Communication",
            "communication",
            "M-1",
            "2026-01-01T00:00:00",
            Owner("contact", ("email:gone@example.com",)),
            {},
            {},
        ),
        Touchpoint(
            "Communication",
            "communication",
            "M-2",
            "2026-01-01T00:00:00",
            Owner("contact", ("email:kept@example.com",)),
            {},
            {},
        ),
        Touchpoint(
            "WebRegistration",
            "web_form",
            "WF-1",
            "2026-01-01T00:00:00",
            Owner("record", ("web_form", "WF-1")),
            {},
            {},
        ),
        Touchpoint(
            "Service",
            "service_visit",
            "W-1",
            "2026-01-01T00:00:00",
            Owner("vin", ("ZVLT13P05SB000001",)),
            {},
            {},
        ),
    ]
    assert [t.source_id for t in stones.touchpoints(touch, directory)] == ["M-2", "W-1"]
    assert stones.skipped == {"source records": 1, "touchpoints": 2}
    assert [(q.location, q.value) for q in stones.report()] == [
        ("source records", "1"),
        ("touchpoints", "2"),
    ]
    assert all("WF-1" not in str(q) and "gone" not in str(q) for q in stones.report())
