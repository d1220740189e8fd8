"""The ontology parses into the model every derivation reads, and a broken one says where."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ontology.check import check_file
from ontology.errors import OntologyError, OntologyParseError
from ontology.model import DEFAULT_PATH, load
from ontology.neo4j_schema import schema_items
from tests.conftest import extended_ontology as extended


def test_the_real_ontology_is_sound() -> None:
    assert check_file(DEFAULT_PATH) == []
    model = load(DEFAULT_PATH)
    assert model.version
    # The domain brief's entities are all there, with the keys it names.
    assert model.node("Vehicle").key == ("vin",)
    assert model.node("SourceRecord").key == ("source", "sourceId")
    assert model.node("Dealer").key == ("code",)
    assert model.node("Email").labels == ("Email", "ContactPoint")
    owns = model.relationships["owns"]
    assert (owns.type, owns.source, owns.target, owns.edge_class) == (
        "OWNS",
        "Person",
        "Vehicle",
        "Ownership",
    )
    assert {f.name for f in owns.properties} >= {
        "certificationStatus",
        "ownedFrom",
        "ownedThrough",
    }
    club = model.relationships["affiliatedWith"]
    assert club.required and not club.many  # a club has exactly one dealer


def test_pii_is_marked_with_purposes() -> None:
    model = load(DEFAULT_PATH)
    person = model.node("Person")
    given = person.field("givenName")
    assert given is not None and given.pii and "marketing" in given.purposes
    stage = person.field("lifecycleStage")
    assert stage is not None and not stage.pii


def test_every_term_is_documented_and_aligned() -> None:
    model = load(DEFAULT_PATH)
    for node in model.nodes.values():
        assert node.label and node.comment, node.name
    assert "https://schema.org/Person" in model.node("Person").aligned
    assert (
        "https://schema.org/vehicleIdentificationNumber"
        in model.node("Vehicle").field("vin").aligned
    )  # type: ignore[union-attr]


def test_a_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    text = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()
    text[40] = text[40] + ' "unterminated'
    broken.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(OntologyParseError) as err:
        load(broken)
    assert err.value.line == 41
    assert err.value.column is not None and err.value.column > 0
    assert f"{broken}:41:" in err.value.message


def test_check_reports_each_problem_with_term_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    original = "c360:vin a owl:DatatypeProperty ; rdfs:range xsd:string ; rdfs:domain c360:Vehicle ;"
    assert original in text
    text = text.replace(
        original,
        "c360:vin a owl:DatatypeProperty ; rdfs:range xsd:string ; rdfs:domain c360:Vehicel ;",
    )
    text = text.replace(
        'rdfs:label "Dealer" ; rdfs:comment "A dealer, service point or brand centre." ;',
        'rdfs:label "Dealer" ;',
    )
    bad.write_text(text, encoding="utf-8")
    problems = check_file(bad)
    by_term = {p.term: p for p in problems}
    assert "Vehicel" in by_term  # the dangling class
    assert any(p.term == "vin" and "domain Vehicel" in p.message for p in problems)
    assert any(
        p.term == "Vehicle" and "key property vin" in p.message for p in problems
    )
    assert "comment" in by_term["Dealer"].message
    vin_line = next(
        n for n, line in enumerate(text.splitlines(), 1) if line.startswith("c360:vin ")
    )
    assert by_term["vin"].line == vin_line
    with pytest.raises(OntologyError, match="problem"):
        load(bad)


def test_check_cli_exit_codes(tmp_path: Path) -> None:
    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "ontology",
                "check",
                "--ontology",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    assert run(DEFAULT_PATH).returncode == 0
    broken = tmp_path / "broken.ttl"
    broken.write_text("c360:a c360:b .\n", encoding="utf-8")
    result = run(broken)
    assert result.returncode == 2
    assert f"{broken}:1: Turtle: syntax error" in result.stdout
    missing = run(tmp_path / "nope.ttl")
    assert missing.returncode == 2 and "cannot read ontology" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_an_added_class_and_relationship_reach_the_model_and_the_constraints(
    tmp_path: Path,
) -> None:
    model = load(extended(tmp_path))
    accessory = model.node("Accessory")
    assert accessory.key == ("accessoryCode",)
    assert model.relationships["fitsModel"].type == "FITS_MODEL"
    assert model.relationships["fitsModel"].inverse == "accessories"
    assert model.relationships["guestOf"].type == "GUEST_OF"
    names = {item.name: item for item in schema_items(model)}
    assert names["accessory_accessory_code"].statement.startswith(
        "CREATE CONSTRAINT accessory_accessory_code IF NOT EXISTS FOR (n:`Accessory`)"
    )
    assert not (
        {i.name for i in schema_items(load(DEFAULT_PATH))}
        ^ (set(names) - {"accessory_accessory_code"})
    )
