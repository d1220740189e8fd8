"""Reading records: every input line is loaded or quarantined with a reason."""

from __future__ import annotations

import json
from pathlib import Path

from linkage.records import DEMO_DIR, read_records


def _whole_record_quarantines(result) -> int:  # type: ignore[no-untyped-def]
    # Field-level entries name the field after the record, e.g. "... email"; whole lines do not.
    return sum(
        1
        for q in result.quarantined
        if not q.location.endswith((" email", " phone", " vehicle", " club"))
    )


def test_demo_fixture_reconciles() -> None:
    result = read_records(DEMO_DIR / "records.jsonl")
    assert result.lines == len(result.records) + _whole_record_quarantines(result)
    reasons = {q.reason for q in result.quarantined}
    assert "missing source or source_id" in reasons
    assert "invalid VIN (ISO 3779)" in reasons
    # The record with a bad VIN still loads; only the vehicle claim is held back.
    keys = {r.key for r in result.records}
    assert ("dealer_crm", "PL-007/P-0091") in keys


def test_garbage_is_quarantined_not_raised(tmp_path: Path) -> None:
    lines = [
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"source": "web_form"}),
        json.dumps(
            {
                "source": "web_form",
                "source_id": "W-9",
                "email": "x@y.example",
                "vehicles": [{"vin": 42}],
                "clubs": ["?"],
            }
        ),
        json.dumps(
            {"source": "web_form", "source_id": "W-10", "first_name": "\u0000" * 3}
        ),
        "\ufffd\ufffd",
        json.dumps(
            {
                "source": "web_form",
                "source_id": "W-11",
                "first_name": "Ana",
                "phone": "+" + "9" * 300,
            }
        ),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    result = read_records(path)
    assert result.lines == len(lines)
    assert result.lines == len(result.records) + _whole_record_quarantines(result)
    assert [r.source_id for r in result.records] == ["W-9", "W-10", "W-11"]
    by_reason = {q.reason for q in result.quarantined}
    assert {
        "not a JSON object",
        "missing source or source_id",
        "invalid VIN (ISO 3779)",
        "club membership without club code",
        "not a valid phone number",
    } <= by_reason
    assert any(r.startswith("not JSON") for r in by_reason)
