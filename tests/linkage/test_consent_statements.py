"""Consent statements in a sources file: declarations checked against the ontology, each
row's checkboxes read into statements, and every unusable value quarantined with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkage.records import ConsentClaim
from linkage.sources import SourcesError, ingest, load_sources

FORM = (
    'version = 1\n[[source]]\nname = "web_form"\nfile = "forms.jsonl"\nformat = "jsonl"\n'
    'id = ["id"]\n[source.columns]\nfirst_name = "givenName"\nemail = "email"\n'
    'phone = "phone"\ncountry = "country"\n'
)
EMAIL = '[[source.consent]]\ncolumn = "consent.email"\nchannel = "email"\npurpose = "marketing"\nat = "at"\n'
PROFILING = (
    '[[source.consent]]\ncolumn = "profiling_ok"\nchannel = "any"\npurpose = "profiling"\n'
    'at = "at"\nwording = "form-2025"\n'
)


def _sources(tmp_path: Path, consent: str, rows: list[dict[str, object]]) -> Path:
    (tmp_path / "forms.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    path = tmp_path / "sources.toml"
    path.write_text(FORM + consent, encoding="utf-8")
    return path


def test_declarations_are_checked_against_the_ontology(tmp_path: Path) -> None:
    bad = (
        '[[source.consent]]\ncolumn = "c"\nchannel = "pigeon"\npurpose = "marketing"\nat = "at"\n'
        '[[source.consent]]\nchannel = "email"\npurpose = "gossip"\nat = "at"\ncolour = "red"\n'
    )
    with pytest.raises(SourcesError) as err:
        load_sources(_sources(tmp_path, bad, []))
    text = str(err.value)
    assert "consent #1: channel must be one of the ontology's (email, sms" in text
    assert "got 'pigeon'" in text
    assert "consent #2: column (a column name) is required" in text
    assert "consent #2: purpose must be one of the ontology's" in text
    assert "got 'gossip'" in text
    assert "consent #2: unknown keys ['colour']" in text


def test_a_touchpoint_source_cannot_state_consent(tmp_path: Path) -> None:
    path = _sources(tmp_path, "", [])
    path.write_text(
        path.read_text().replace('id = ["id"]', 'id = ["id"]\nkind = "touchpoint"')
        + EMAIL,
        encoding="utf-8",
    )
    with pytest.raises(SourcesError, match="only an identity source can state consent"):
        load_sources(path)


def test_each_checkbox_becomes_a_statement_and_bad_values_are_quarantined(
    tmp_path: Path,
) -> None:
    rows: list[dict[str, object]] = [
        {
            "id": "1",
            "email": "a@b.example",
            "at": "2025-01-02T03:04:05",
            "consent": {"email": True},
            "profiling_ok": "yes",
        },
        {
            "id": "2",
            "email": "c@d.example",
            "at": "2025-02-03",
            "consent": {"email": "WITHDRAWN"},
            "profiling_ok": "0",
        },
        {
            "id": "3",
            "email": "e@f.example",
            "at": "2025-02-03",
            "consent": {"email": "maybe"},
            "profiling_ok": "",
        },
        {"id": "4", "email": "g@h.example", "consent": {"email": False}},
        {"id": "5", "email": "i@j.example", "at": "2025-02-03", "consent": "all of it"},
        {"id": "6", "email": "k@l.example", "at": "yesterday", "consent": {"email": 1}},
        {"id": "7", "email": "m@n.example", "at": "2025-02-03"},
    ]
    data = ingest(load_sources(_sources(tmp_path, EMAIL + PROFILING, rows)))
    stated = {r.source_id: r.consents for r in data.records}
    assert len(stated) == len(rows)  # a bad consent value never costs the record
    assert stated["1"] == (
        ConsentClaim("email", "marketing", "granted", "2025-01-02T03:04:05"),
        ConsentClaim("any", "profiling", "granted", "2025-01-02T03:04:05", "form-2025"),
    )
    assert stated["2"] == (
        ConsentClaim("email", "marketing", "withdrawn", "2025-02-03T00:00:00"),
        ConsentClaim("any", "profiling", "denied", "2025-02-03T00:00:00", "form-2025"),
    )
    assert stated["3"] == stated["4"] == stated["5"] == stated["6"] == stated["7"] == ()
    reasons = {(q.location.split(" ")[0], q.field, q.reason) for q in data.quarantined}
    assert reasons == {
        (
            "forms.jsonl:3",
            "consent.email",
            "not a consent value (true/false, yes/no, granted/denied/withdrawn)",
        ),
        ("forms.jsonl:4", "consent.email", "consent statement without a time"),
        ("forms.jsonl:5", "consent.email", "consent is not an object: all of it"),
        ("forms.jsonl:6", "at", "not a date (ISO 8601)"),
    }
    assert "consent" not in data.unmapped.get("web_form", set())
    assert "profiling_ok" not in data.unmapped.get("web_form", set())


def test_generated_web_forms_declare_their_checkboxes(tmp_path: Path) -> None:
    from linkage.generate.run import generate

    generate(60, 3, tmp_path)
    data = ingest(load_sources(tmp_path / "sources.toml"))
    forms = [
        json.loads(line)
        for line in (tmp_path / "web_forms.jsonl").read_text().splitlines()
    ]
    by_id = {r.source_id: r for r in data.records if r.source == "web_form"}
    assert forms and len(by_id) == len(forms)
    boxes = {
        "email_marketing": ("email", "marketing"),
        "sms_marketing": ("sms", "marketing"),
        "profiling": ("any", "profiling"),
    }
    for form in forms:
        expected = {
            (*boxes[box], "granted" if value else "denied", form["submitted_at"])
            for box, value in form["consent"].items()
        }
        got = {
            (c.channel, c.purpose, c.status, c.at)
            for c in by_id[form["submission_id"]].consents
        }
        assert got == expected
