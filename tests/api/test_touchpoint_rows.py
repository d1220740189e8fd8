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
