"""Touchpoint rows stream through the validation gate: each is written or quarantined with
its reason, and a repeated touchpoint id keeps its first row (the rest are quarantined)."""

from __future__ import annotations

from api import touchpoint_load
from api.pipeline import Gate
from linkage import touchpoints as tp
from ontology.model import default
from ontology.validate import validators


def _visit(sid: str, at: str, record: str = "A-1") -> tp.Touchpoint:
    return tp.Touchpoint(
        "ServiceVisit",
        "service_visit",
        sid,
        at,
        tp.Owner("record", ("crm", record)),
        {"serviceType": "scheduled"},
        {},
    )


def test_each_touchpoint_is_written_once_or_quarantined_with_a_reason() -> None:
    gate = Gate(validators(default()), [])
    directory = tp.Directory([tp.PersonView("P1", (("crm", "A-1"),), (), ())])
    read = [
        _visit("W-1", "2024-01-02T10:00:00"),
        _visit("W-2", "2024-02-02T10:00:00"),
        _visit("W-1", "2024-03-02T10:00:00"),  # the same id again
        _visit("W-3", "2024-04-02T10:00:00", record="A-9"),  # nobody's
    ]
    rows = list(touchpoint_load.rows(read, directory, gate))
    assert [(label, r["props"]["sourceId"], r["person"]) for label, r in rows] == [
        ("ServiceVisit", "W-1", "P1"),
        ("ServiceVisit", "W-2", "P1"),
    ]
    assert str(rows[0][1]["props"]["at"]).startswith("2024-01-02")  # the first W-1
    reasons = sorted((q.location, q.reason) for q in gate.quarantined)
    assert reasons == [
        (
            "service_visit/W-1",
            "ServiceVisit: duplicate touchpoint id; the first row was kept",
        ),
        ("service_visit/W-3", "ServiceVisit: no resolved record crm/A-9"),
    ]
    assert len(rows) + len(gate.quarantined) == len(read)


def test_a_key_written_is_not_held_though_a_later_row_of_it_found_no_person() -> None:
    gate = Gate(validators(default()), [])
    directory = tp.Directory([tp.PersonView("P1", (("crm", "A-1"),), (), ())])
    read = [
        _visit("W-1", "2024-01-02T10:00:00"),
        _visit("W-1", "2024-03-02T10:00:00", record="A-9"),  # the same id, nobody's
        _visit("W-3", "2024-04-02T10:00:00", record="A-9"),  # nobody's
    ]
    held: list[tuple[tp.Touchpoint, str]] = []
    rows = list(touchpoint_load.rows(read, directory, gate, held))
    assert [r["props"]["sourceId"] for _, r in rows] == ["W-1"]
    # The write of W-1 takes any held row of its key: holding its later row would undo it.
    assert [(t.source_id, why) for t, why in held] == [
        ("W-3", "no resolved record crm/A-9")
    ]
    assert sorted(q.location for q in gate.quarantined) == [
        "service_visit/W-1",
        "service_visit/W-3",
    ]
