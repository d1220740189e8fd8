"""Segment definitions are checked against the ontology at load time, values become parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from graph import segment_compile as sc
from ontology.model import default as default_ontology

MODEL = default_ontology()


def _load(tmp_path: Path, body: str, head: str = "") -> tuple[sc.Segment, ...]:
    path = tmp_path / "segments.toml"
    path.write_text(
        f'[[segment]]\nid = "s"\nname = "S"\n{head}\n[[segment.condition]]\nname = "c"\n{body}\n',
        encoding="utf-8",
    )
    return sc.load(path, MODEL)


def test_the_shipped_definitions_compile() -> None:
    found = sc.load(None, MODEL)
    assert len(found) >= 10
    assert {s.kind for s in found} == {"static", "dynamic"}
    assert all(s.definition for s in found)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('match = "(p)-[:OWNS]->(v:Vehicel)"', "no class Vehicel"),
        ('match = "(p)-[:OWNZ]->(v:Vehicle)"', "no relationship type OWNZ"),
        (
            'match = "(p)<-[:OWNS]-(v:Vehicle)"',
            "OWNS does not go from Vehicle to Person",
        ),
        ('match = "(x)-[:OWNS]->(v:Vehicle)"', "must start at the person"),
        (
            'match = "(p)-[o:OWNS]->(v:Vehicle)"\nwhere = ["o.colour = \'red\'"]',
            "no property colour",
        ),
        ("where = [\"p.lifecycleStage = 'ownr'\"]", "'ownr' is not one of"),
        ("where = [\"p.referralDescendants >= 'many'\"]", "is not a integer"),
        ('where = ["p.displayName >= days_ago(3)"]', "needs a date or date-time"),
        ("where = [\"p.emails = 'a@b.c'\"]", "is a list"),
        ('where = ["p.displayName = Bob"]', "is not a value"),
        (
            'match = "(p)-[:HAD]->(o:Order)"\nhaving = "sum(o.channel) > 3"',
            "is not a number",
        ),
        ('match = "(p)-[:HAD]->(o:Order)"\nhaving = "lots"', "having 'lots'"),
        ('having = "count = 0"', "need a match pattern"),
        ('colour = "red"\nwhere = ["p.displayName = \'x\'"]', "unknown keys colour"),
    ],
)
def test_a_mistake_is_one_clear_error_naming_segment_and_condition(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(sc.SegmentError) as err:
        _load(tmp_path, body)
    assert message in str(err.value)
    assert "segment 's', condition 'c'" in str(err.value)


def test_a_static_segment_needs_its_snapshot_time(tmp_path: Path) -> None:
    with pytest.raises(sc.SegmentError, match="needs frozen_at"):
        _load(tmp_path, "where = [\"p.displayName = 'x'\"]", head='kind = "static"')
    (seg,) = _load(
        tmp_path,
        "where = [\"p.displayName = 'x'\"]",
        head='kind = "static"\nfrozen_at = 2026-01-02',
    )
    assert seg.frozen_at == dt.datetime(2026, 1, 2)


def test_values_are_parameters_never_query_text(tmp_path: Path) -> None:
    hostile = "x' OR 1=1 WITH p MATCH (n) DETACH DELETE n //"
    (seg,) = _load(tmp_path, f'where = ["p.displayName = \\"{hostile}\\""]')
    text = seg.predicate("$asOf")
    assert "DETACH" not in text and "x'" not in text
    assert hostile in seg.params.values()


def test_values_take_the_property_datatype(tmp_path: Path) -> None:
    (seg,) = _load(
        tmp_path,
        'match = "(p)-[o:OWNS]->(v:Vehicle)"\n'
        "where = [\"o.ownedFrom >= '2024-01-31'\", \"o.certificationStatus IN ['certified', 'auto']\"]",
    )
    assert dt.date(2024, 1, 31) in seg.params.values()
    assert ["certified", "auto"] in seg.params.values()


def test_relative_windows_follow_date_or_datetime(tmp_path: Path) -> None:
    (seg,) = _load(
        tmp_path,
        'match = "(p)-[o:OWNS]->(v:Vehicle)"\nwhere = ["o.ownedFrom >= months_ago(24)"]',
    )
    assert "date($asOf) - duration({months:" in seg.predicate("$asOf")
    (seg,) = _load(
        tmp_path, 'match = "(p)-[:HAD]->(t:Order)"\nwhere = ["t.at >= days_ago(7)"]'
    )
    assert "($asOf - duration({days:" in seg.predicate("$asOf")
