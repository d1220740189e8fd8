"""Touchpoint declarations in the sources file: checked against the ontology, read row by
row, attached to people; whatever cannot be used is quarantined with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linkage import referrals as rf
from linkage import touchpoints as tp
from linkage.records import Quarantined
from linkage.sources import SourcesError, ingest, load_sources
from ontology.model import default

MODEL = default()


def _specs(
    raw: list[dict[str, Any]], identity: bool = False
) -> tuple[tp.TouchpointSpec, ...]:
    specs, problems = tp.parse_specs(raw, "source x", MODEL, identity, {"crm"})
    assert problems == []
    return specs


def _iso(text: str) -> str:
    return text if "T" in text else text + "T00:00:00"


def test_declarations_are_checked_against_the_ontology() -> None:
    raw = [
        {"type": "Quotashun", "at": "d", "person": "self"},
        {"type": "Quotation", "at": "d", "person": "self", "columns": {"x": "colour"}},
        {"type": "Quotation", "at": "d", "person": {"record": "nowhere", "id": ["a"]}},
        {"type": "Quotation", "at": "d", "person": {"phone_book": "a"}},
        {"type": "Touchpoint", "at": "d", "person": "self"},
    ]
    _, problems = tp.parse_specs(raw, "source x", MODEL, False, {"crm"})
    text = " | ".join(problems)
    assert "type must be one of the ontology's touchpoint classes" in text
    assert "'Quotashun'" in text and "'Touchpoint'" in text  # abstract: not a type
    assert (
        "'colour', which is neither a property nor a relationship of Quotation" in text
    )
    assert 'person = "self" needs an identity source' in text
    assert "person.record must name an identity source of this file (crm)" in text
    assert "person must be" in text


def test_a_row_makes_one_touchpoint_per_declaration_that_takes_it() -> None:
    specs = _specs(
        [
            {
                "type": "Order",
                "at": "ordered",
                "person": {"record": "crm", "id": ["dealer", "account"]},
                "suffix": "order",
                "columns": {
                    "dealer": "atDealer",
                    "vin": "aboutVehicle",
                    "eur": "amount",
                },
            },
            {
                "type": "Delivery",
                "at": "delivered",
                "when": "delivered",
                "person": {"record": "crm", "id": ["dealer", "account"]},
                "suffix": "delivery",
                "set": {"journeyStage": "delivery"},
            },
        ]
    )
    row = {
        "dealer": "IT-003",
        "account": "A-1",
        "vin": "zvl1",
        "eur": "14500",
        "ordered": "2024-01-02",
        "delivered": "",
    }
    q: list[Quarantined] = []
    out = tp.from_row(specs, "orders", "O-1", row, _iso, "orders.csv:2", q)
    assert q == []
    assert [(t.label, t.source_id, t.at) for t in out] == [
        ("Order", "O-1#order", "2024-01-02T00:00:00")
    ]
    assert out[0].owner == tp.Owner("record", ("crm", "IT-003/A-1"))
    assert out[0].links == {"atDealer": "IT-003", "aboutVehicle": "zvl1"}
    assert out[0].props == {"amount": "14500"}
    row["delivered"] = "2024-02-01"
    out = tp.from_row(specs, "orders", "O-1", row, _iso, "orders.csv:2", q)
    assert [t.label for t in out] == ["Order", "Delivery"]
    assert out[1].props == {"journeyStage": "delivery"}


def test_rows_no_declaration_takes_or_without_a_time_or_person_are_quarantined() -> (
    None
):
    specs = _specs(
        [
            {
                "type": "TestRide",
                "at": "at",
                "person": "self",
                "where": {"form": "test_ride"},
            },
            {
                "type": "WebRegistration",
                "at": "at",
                "person": "self",
                "where": {"form": ["newsletter", "brochure"]},
            },
        ],
        identity=True,
    )
    q: list[Quarantined] = []
    assert (
        tp.from_row(
            specs,
            "web",
            "W-1",
            {"form": "raffle", "at": "2024-01-01"},
            _iso,
            "web:1",
            q,
        )
        == []
    )
    assert "no touchpoint declaration takes this row" in q[-1].reason
    assert "form in ['brochure', 'newsletter']" in q[-1].reason
    assert (
        tp.from_row(
            specs, "web", "W-2", {"form": "brochure", "at": ""}, _iso, "web:2", q
        )
        == []
    )
    assert q[-1].reason == "WebRegistration without a time"
    vin_specs = _specs([{"type": "ServiceVisit", "at": "at", "person": {"vin": "vin"}}])
    assert (
        tp.from_row(
            vin_specs, "svc", "S-1", {"at": "2024-01-01", "vin": ""}, _iso, "svc:1", q
        )
        == []
    )
    assert q[-1].reason == "ServiceVisit names no person (vin)"
    assert len(q) == 3


def test_contact_keys() -> None:
    assert (
        tp.contact_key("G.Bellini+news@Mail.Example.IT")
        == "email:g.bellini@mail.example.it"
    )
    assert tp.contact_key("+39 331 555 1234") == "phone:+393315551234"
    assert tp.contact_key("push:u-00002a") == "app:u-00002a"
    assert tp.contact_key("not a contact") is None


def test_the_owner_of_a_vehicle_on_a_day() -> None:
    spans = [("2019-05-01", "2023-06-30", "anna"), ("2023-07-01", None, "ben")]
    assert tp.owner_at(spans, "2020-01-01") == "anna"
    assert tp.owner_at(spans, "2024-01-01") == "ben"
    assert tp.owner_at(spans, "2018-01-01") == "anna"  # serviced before it was declared
    assert tp.owner_at([("2019-05-01", "2020-01-01", "anna")], "2021-01-01") is None


def test_attach_finds_each_person_or_says_why_not() -> None:
    people = [
        tp.PersonView(
            "P1",
            (("crm", "A-1"),),
            ("email:a@x.example", "app:u-1"),
            (("VIN1", "2020-01-01", None),),
        ),
        tp.PersonView("P2", (("crm", "A-2"),), ("email:shared@x.example",), ()),
        tp.PersonView("P3", (("crm", "A-3"),), ("email:shared@x.example",), ()),
    ]

    def t(sid: str, kind: str, *value: str, **links: str) -> tp.Touchpoint:
        return tp.Touchpoint(
            "Quotation",
            "s",
            sid,
            "2024-03-01T00:00:00",
            tp.Owner(kind, value),
            {},
            links,
        )

    quarantined: list[Quarantined] = []
    attached = tp.attach(
        [
            t("1", "record", "crm", "A-2"),
            t("2", "contact", "app:u-1"),
            t("3", "contact", "email:shared@x.example"),
            t("4", "vin", "VIN1"),
            t("5", "record", "crm", "A-9"),
            t("6", "vin", "VIN2"),
            t("7", "record", "crm", "A-3", aboutVehicle="vin2"),  # an order starts it
        ],
        tp.Directory(people),
        quarantined,
    )
    assert sorted((x.source_id, p) for x, p in attached) == [
        ("1", "P2"),
        ("2", "P1"),
        ("4", "P1"),
        ("6", "P3"),
        ("7", "P3"),
    ]
    reasons = sorted((q.location, q.reason) for q in quarantined)
    assert reasons == [
        ("s/3", "Quotation: contact point shared by 2 persons"),
        ("s/5", "Quotation: no resolved record crm/A-9"),
    ]


def test_generated_sources_declare_touchpoints_for_every_touchpoint_file(
    tmp_path: Path,
) -> None:
    from linkage.generate.run import generate

    generate(60, 3, tmp_path)
    sources = load_sources(tmp_path / "sources.toml")
    assert all(s.touchpoints for s in sources.sources if s.kind == "touchpoint")
    data = ingest(sources)
    labels = {t.label for t in data.touchpoints}
    assert {
        "Quotation",
        "Order",
        "ServiceVisit",
        "Communication",
        "SurveyResponse",
    } <= labels
    # Each record carries the events its own touchpoints place its person at.
    at_events: dict[tuple[str, str], set[str]] = {}
    for t in data.touchpoints:
        if "atEvent" in t.links and t.owner.kind == "record":
            at_events.setdefault(t.owner.value, set()).add(t.links["atEvent"])  # type: ignore[arg-type]
    carried = {r.key: set(r.events) for r in data.records if r.events}
    assert carried and carried == {
        k: v for k, v in at_events.items() if k in {r.key for r in data.records}
    }
    assert {k[0] for k in carried} >= {"ticketing"}
    bad = tmp_path / "sources.toml"
    bad.write_text(bad.read_text().replace('type = "Quotation"', 'type = "Quote"', 1))
    with pytest.raises(
        SourcesError, match="type must be one of the ontology's touchpoint"
    ):
        load_sources(bad)


def _people() -> list[tp.PersonView]:
    """Persons A to D, each with one web record and one email."""
    return [
        tp.PersonView(p, ((("web", p)),), (f"email:{p}@x.example",), ())
        for p in ("A", "B", "C", "D")
    ]


def _mention(at: str, referrer: str, referee: str) -> rf.Mention:
    return rf.Mention(
        "declared",
        at,
        tp.Owner("contact", (f"email:{referrer}@x.example",)),
        tp.Owner("record", ("web", referee)),
        f"web/{referee}-{at}",
    )


def test_referral_mentions_become_one_acyclic_referrer_per_person() -> None:
    people, m = _people(), _mention
    linked = rf.link(
        [
            m("2020-01-01T00:00:00", "A", "B"),
            m("2020-02-01T00:00:00", "B", "C"),
            m("2020-03-01T00:00:00", "C", "A"),  # A -> B -> C -> A: a cycle
            m("2020-04-01T00:00:00", "D", "C"),  # C already has a referrer
            m("2020-05-01T00:00:00", "D", "D"),
            m("2020-06-01T00:00:00", "A", "D"),  # D's first lead was earlier
            m("2020-07-01T00:00:00", "Z", "D"),
        ],
        tp.Directory(people),
        {"D": "2020-05-15T00:00:00"},
    )
    assert [(r.referrer, r.referee) for r in linked.referrals] == [
        ("A", "B"),
        ("B", "C"),
    ]
    assert [q.reason.split(": ", 1)[1] for q in linked.quarantined] == [
        "would close a referral cycle",
        "the referee was referred earlier by someone else",
        "referrer and referee are the same customer",
        "after the referee's first lead (2020-05-15T00:00:00)",
        "referrer: no person has this contact point",
    ]
    # Only the mention that found no person waits for a later change; it keeps as read.
    ((held, why),) = linked.held
    assert (held.referrer.value, why) == (
        ("email:Z@x.example",),
        "referrer: no person has this contact point",
    )
    assert rf.from_json(rf.to_json(held)) == held


def test_an_earlier_mention_takes_the_place_of_the_graph_s_referral() -> None:
    """An incremental run decides as a batch run of everything: the earliest mention of
    a referee wins, whether it is in the graph already or arrives now."""
    m = _mention
    known = {
        "B": rf.Referral("A", "B", "declared", "2020-03-01T00:00:00", "web/B-old"),
        "C": rf.Referral("A", "C", "declared", "2020-01-01T00:00:00", "web/C-old"),
        "D": rf.Referral("A", "D", "declared", "2020-01-01T00:00:00", "web/D-old"),
    }
    linked = rf.link(
        [
            m("2020-02-01T00:00:00", "D", "B"),  # before B's referral in the graph
            m("2020-02-15T00:00:00", "C", "B"),  # after that one
            m("2020-02-01T00:00:00", "C", "D"),  # after D's referral in the graph
            m("2019-12-01T00:00:00", "A", "C"),  # C's referrer, said earlier
        ],
        tp.Directory(_people()),
        {},
        known,
    )
    assert [(r.referrer, r.referee, r.at[:10]) for r in linked.referrals] == [
        ("A", "C", "2019-12-01"),  # the same edge, resting on the earlier mention
        ("D", "B", "2020-02-01"),
    ]
    assert linked.displaced == [known["B"]]
    assert [(q.location, q.reason.split(": ", 1)[1]) for q in linked.quarantined] == [
        ("web/B-old", "the referee was referred earlier by someone else"),
        (
            "web/D-2020-02-01T00:00:00",
            "the referee was referred earlier by someone else (in the graph)",
        ),
        (
            "web/B-2020-02-15T00:00:00",
            "the referee was referred earlier by someone else",
        ),
    ]
    # Run again over the graph it left, nothing changes.
    now = {"B": linked.referrals[1], "C": linked.referrals[0]}
    again = rf.link(
        [m("2020-02-01T00:00:00", "D", "B")], tp.Directory(_people()), {}, now
    )
    assert again.referrals == [] and again.displaced == []
    assert again.quarantined[0].reason.endswith("the graph has this referral already")


def test_a_referee_keeps_only_its_earliest_hop_before_its_first_lead() -> None:
    """A change can leave the graph a referee with two referrers (a merge) or a hop later
    than its first buying signal (a touchpoint dated before it): ``recheck`` refuses what
    a batch run of the same mentions refuses, for the same reasons."""
    early = rf.Referral("C", "B", "declared", "2020-01-01T00:00:00", "web/B-C")
    late = rf.Referral("A", "B", "declared", "2020-03-01T00:00:00", "web/B-A")
    for lead in (None, "2020-02-01T00:00:00", "2019-06-01T00:00:00"):
        rechecked = rf.recheck([late, early], lead)
        batch = rf.link(
            [_mention(h.at, h.referrer, "B") for h in (late, early)],
            tp.Directory(_people()),
            {"B": lead} if lead else {},
        )
        kept = {(r.referrer, r.at) for r in batch.referrals}
        assert {(h.referrer, h.at) for h in rechecked.displaced} == {
            (h.referrer, h.at) for h in (early, late)
        } - kept
        assert [q.reason for q in rechecked.quarantined] == [
            q.reason for q in batch.quarantined
        ]
    assert rf.recheck([late, early], None).displaced == [late]
    assert rf.recheck([early], "2020-02-01T00:00:00").displaced == []
    refused = rf.recheck([late, early], "2019-06-01T00:00:00")
    assert refused.displaced == [early, late]
    assert {q.reason for q in refused.quarantined} == {
        "referral (declared): after the referee's first lead (2019-06-01T00:00:00)"
    }


def test_an_earlier_mention_refuses_the_graph_s_later_hop_of_a_cycle() -> None:
    """The graph has A -> B -> C. A mention C -> A dated before both arrives: a batch run
    of everything takes it first, and refuses B -> C, the hop that closes the cycle. A
    mention dated after them is the one refused."""
    m = _mention
    first, second = (
        rf.Referral("A", "B", "declared", "2020-05-01T00:00:00", "web/B-old"),
        rf.Referral("B", "C", "declared", "2020-06-01T00:00:00", "web/C-old"),
    )
    everything = rf.link(
        [
            m("2020-05-01T00:00:00", "A", "B"),
            m("2020-06-01T00:00:00", "B", "C"),
            m("2020-01-01T00:00:00", "C", "A"),
        ],
        tp.Directory(_people()),
        {},
    )
    assert [(r.referrer, r.referee) for r in everything.referrals] == [
        ("C", "A"),
        ("A", "B"),
    ]
    known = {"B": first, "C": second}
    early = rf.link(
        [m("2020-01-01T00:00:00", "C", "A")], tp.Directory(_people()), {}, known
    )
    assert [(r.referrer, r.referee) for r in early.referrals] == [("C", "A")]
    assert early.displaced == [second]
    reasons = [(q.location, q.reason.split(": ", 1)[1]) for q in early.quarantined]
    assert reasons == [("web/C-old", "would close a referral cycle")]
    late = rf.link(
        [m("2020-07-01T00:00:00", "C", "A")], tp.Directory(_people()), {}, known
    )
    assert late.referrals == [] and late.displaced == []
    assert late.quarantined[0].reason.endswith("would close a referral cycle")
