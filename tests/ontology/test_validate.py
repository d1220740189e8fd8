"""Validation compiled from the shapes agrees with pySHACL, and bad rows are quarantined."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyshacl
import pytest
import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import XSD

from ontology.model import C360, DEFAULT_PATH, Ontology, load
from ontology.validate import validators
from tests.conftest import extended_ontology as extended

XSD_OF = {
    "string": XSD.string,
    "integer": XSD.integer,
    "decimal": XSD.decimal,
    "double": XSD.double,
    "boolean": XSD.boolean,
    "date": XSD.date,
    "dateTime": XSD.dateTime,
}


@pytest.fixture(scope="module")
def model() -> Ontology:
    return load(DEFAULT_PATH)


def test_coerces_what_the_loader_needs(model: Ontology) -> None:
    clean, problems = validators(model)["Event"].check(
        {
            "id": "EV-1",
            "eventType": "track_session",
            "startDate": "2025-05-01",
            "capacity": "30",
        }
    )
    assert problems == []
    assert clean == {
        "id": "EV-1",
        "eventType": "track_session",
        "startDate": dt.date(2025, 5, 1),
        "capacity": 30,
    }


@pytest.mark.parametrize(
    ("label", "props", "path", "shape", "message"),
    [
        (
            "Vehicle",
            {"vin": "ZVL-TOO-SHORT"},
            "vin",
            "VehicleShape",
            "not a 17-character VIN",
        ),
        (
            "Event",
            {"id": "E", "eventType": "rave", "startDate": "2025-01-01"},
            "eventType",
            "EventShape",
            "not one of",
        ),
        (
            "Event",
            {"id": "E", "eventType": "club_rally", "startDate": "01.02.2025"},
            "startDate",
            "EventShape",
            "ISO 8601 date",
        ),
        (
            "Event",
            {"id": "E", "eventType": "club_rally"},
            "startDate",
            "EventShape",
            "is required",
        ),
        (
            "Person",
            {"id": "nope", "displayName": "X"},
            "id",
            "PersonShape",
            "does not match",
        ),
        (
            "Person",
            {
                "id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
                "displayName": "X",
                "phones": ["+39 331"],
            },
            "phones",
            "PersonShape",
            "does not match",
        ),
        (
            "Email",
            {"value": "not-an-email"},
            "value",
            "EmailShape",
            "not an email address",
        ),
        (
            "SourceRecord",
            {"source": "crm", "sourceId": "1", "shoeSize": "44"},
            "shoeSize",
            "SourceRecordShape",
            "not a property of SourceRecord",
        ),
        (
            "MEMBER_OF",
            {"membershipStatus": "expired"},
            "membershipStatus",
            "ClubMembershipShape",
            "not one of active, lapsed, suspended",
        ),
        (
            "Club",
            {"code": "VOC-1", "name": "x"},
            "affiliatedWith",
            "ClubShape",
            "is required",
        ),
    ],
)
def test_violations_name_shape_path_and_value(
    model: Ontology,
    label: str,
    props: dict[str, Any],
    path: str,
    shape: str,
    message: str,
) -> None:
    links = {"affiliatedWith": None} if label == "Club" else None
    _, problems = validators(model)[label].check(props, links)
    assert [p.path for p in problems] == [path]
    assert problems[0].shape == shape
    assert message in problems[0].message


# -- oracle: the compiled checks and pySHACL give the same verdict on the same rows --------------


def _random_rows(rng: random.Random, n: int) -> list[tuple[str, dict[str, Any]]]:
    good_vin, names = "ZVLS950D2RM100231", ["Anna", "", "x" * 201, "Beppe"]
    rows: list[tuple[str, dict[str, Any]]] = []
    for i in range(n):
        kind = rng.choice(["Vehicle", "Event", "Dealer", "Person", "Model"])
        if kind == "Vehicle":
            rows.append(
                (
                    kind,
                    {
                        "vin": rng.choice(
                            [good_vin, "ZVLS950D2RM10023", "IOQ" * 5 + "AB"]
                        ),
                        "modelYear": rng.choice([2024, 1800, "2020", None]),
                    },
                )
            )
        elif kind == "Event":
            rows.append(
                (
                    kind,
                    {
                        "id": f"E{i}",
                        "eventType": rng.choice(["club_rally", "rave", None]),
                        "startDate": rng.choice(["2025-02-03", "2025-13-01", None]),
                        "capacity": rng.choice([10, 0, -5, "x", None]),
                    },
                )
            )
        elif kind == "Dealer":
            rows.append(
                (
                    kind,
                    {
                        "code": rng.choice([f"D{i}", None]),
                        "dealerType": rng.choice(["dealer", "shop", None]),
                        "inCountry": rng.choice(["IT", None]),
                    },
                )
            )
        elif kind == "Person":
            rows.append(
                (
                    kind,
                    {
                        "id": rng.choice(
                            ["12345678-1234-1234-1234-123456789abc", "p1"]
                        ),
                        "displayName": rng.choice(names),
                        "countryCode": rng.choice(["IT", "ita", None]),
                        "emails": rng.choice([["a@b.example"], [], None]),
                    },
                )
            )
        else:
            rows.append(
                (
                    kind,
                    {
                        "code": f"M{i}",
                        "name": rng.choice(["Aster", None]),
                        "limitedEdition": rng.choice([True, False, "yes", None]),
                        "limitedUnits": rng.choice([500, 0, None]),
                        "listPrice": rng.choice([14500, -1, None]),
                    },
                )
            )
    return rows


def _as_rdf(rows: list[tuple[str, dict[str, Any]]], model: Ontology) -> rdflib.Graph:
    """Each row as a node; values the validator could coerce keep its type, others stay strings."""
    g = rdflib.Graph()
    for i, (label, props) in enumerate(rows):
        node = URIRef(f"urn:row:{i}")
        g.add((node, RDF.type, C360[label]))
        fields = {f.name: f for f in model.node(label).fields}
        for name, value in props.items():
            if value is None or value == "" or value == []:
                continue
            if name == "inCountry":  # a relationship: link to a valid Country node
                country = URIRef(f"urn:country:{value}")
                g.add((node, C360.inCountry, country))
                g.add((country, RDF.type, C360.Country))
                g.add((country, C360.code, Literal(value)))
                continue
            for item in value if isinstance(value, list) else [value]:
                # xsd:string values are plain literals, as Turtle writes them (RDF 1.1: the same)
                datatype = (
                    None
                    if fields[name].datatype == "string"
                    else XSD_OF[fields[name].datatype]
                )
                try:
                    clean, _ = validators(model)[label].check({name: item})
                    value_ = clean[name][0] if fields[name].many else clean[name]
                    if (
                        fields[name].datatype == "decimal"
                    ):  # Neo4j has no decimal; RDF wants one
                        value_ = Decimal(str(value_))
                    literal = (
                        Literal(value_, datatype=datatype)
                        if name in clean
                        else Literal(str(item))
                    )
                except KeyError:
                    literal = Literal(str(item))
                g.add((node, C360[name], literal))
    return g


def test_compiled_validation_agrees_with_pyshacl(model: Ontology) -> None:
    rows = _random_rows(random.Random(20261201), 150)
    checks = validators(model)

    def verdict(label: str, props: dict[str, Any]) -> bool:
        links = {"inCountry": props.get("inCountry")} if label == "Dealer" else None
        return bool(
            checks[label].check(
                {k: v for k, v in props.items() if k != "inCountry"}, links
            )[1]
        )

    ours = {i for i, (label, props) in enumerate(rows) if verdict(label, props)}
    _conforms, report, _ = pyshacl.validate(
        _as_rdf(rows, model), shacl_graph=model.graph, ont_graph=model.graph
    )
    theirs = {
        int(str(focus).rsplit(":", 1)[1])
        for focus in report.objects(None, rdflib.SH.focusNode)
    }
    assert ours == theirs
    assert 0 < len(ours) < len(rows)  # the sample has both kinds


def test_an_added_class_is_validated_with_no_code_change(tmp_path: Path) -> None:
    checks = validators(load(extended(tmp_path)))
    assert checks["Accessory"].check(
        {"accessoryCode": "ACC-0001", "weightKg": "1.5"}
    ) == (
        {"accessoryCode": "ACC-0001", "weightKg": 1.5},
        [],
    )
    _, problems = checks["Accessory"].check(
        {"accessoryCode": "exhaust", "weightKg": -2}
    )
    assert {(p.shape, p.path) for p in problems} == {
        ("AccessoryShape", "accessoryCode"),
        ("AccessoryShape", "weightKg"),
    }
