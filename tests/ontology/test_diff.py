"""``ontology diff``: what a new ontology changes, and which changes break GraphQL clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from ontology.diff import Change, cypher, diff
from ontology.model import DEFAULT_PATH, load
from tests.conftest import ONTOLOGY_ADDITIONS

ACCESSORY = ONTOLOGY_ADDITIONS.read_text(encoding="utf-8")

CONSENT_STATUS = 'sh:in ( "granted" "denied" "withdrawn" )'
DEALER_NAME = (
    "[ sh:path c360:code ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] ,\n"
    "        [ sh:path c360:name ; sh:datatype xsd:string ; sh:maxCount 1 ] ,\n"
    "        [ sh:path c360:dealerType"
)


def edited(tmp_path: Path, *replacements: tuple[str, str], append: str = "") -> Path:
    """A copy of the project's ontology with each text replaced once (it must be there)."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "edited.ttl"
    path.write_text(text + append, encoding="utf-8")
    return path


def by_kind(changes: list[Change]) -> dict[tuple[str, str], Change]:
    return {(c.kind, c.subject): c for c in changes}


def test_the_ontology_against_itself_has_no_changes() -> None:
    assert diff(load(), load()) == []


def test_a_new_class_and_relationship_are_additions(tmp_path: Path) -> None:
    changes = diff(load(), load(edited(tmp_path, append=ACCESSORY)))
    found = by_kind(changes)
    assert set(found) == {
        ("class_added", "Accessory"),
        ("relationship_added", "FITS_MODEL"),
        ("relationship_added", "GUEST_OF"),
        ("constraint_added", "accessory_accessory_code"),
    }
    assert not any(c.breaking for c in changes)
    assert (
        "root fields accessories and accessory(accessoryCode:)"
        in found["class_added", "Accessory"].graphql
    )
    assert found["relationship_added", "FITS_MODEL"].graphql == (
        "new field Accessory.fitsModel: [Model!] and Model.accessories"
    )
    assert cypher(changes) == (
        "CREATE CONSTRAINT accessory_accessory_code IF NOT EXISTS FOR (n:`Accessory`) "
        "REQUIRE n.`accessoryCode` IS UNIQUE",
    )


def test_removing_an_enum_value_is_breaking(tmp_path: Path) -> None:
    path = edited(tmp_path, (CONSENT_STATUS, 'sh:in ( "granted" "denied" )'))
    (change,) = diff(load(), load(path))
    assert (change.kind, change.subject, change.breaking) == (
        "enum_values_removed",
        "Consent.consentStatus",
        True,
    )
    assert change.graphql == "enum ConsentStatus loses WITHDRAWN"
    assert str(change).startswith("BREAKING enum values removed Consent.consentStatus")


def test_adding_an_enum_value_is_not(tmp_path: Path) -> None:
    path = edited(
        tmp_path, (CONSENT_STATUS, 'sh:in ( "granted" "denied" "withdrawn" "expired" )')
    )
    (change,) = diff(load(), load(path))
    assert (change.kind, change.breaking, change.graphql) == (
        "enum_values_added",
        False,
        "enum ConsentStatus gains EXPIRED",
    )


def test_a_property_becoming_required_is_breaking(tmp_path: Path) -> None:
    required = DEALER_NAME.replace(
        "c360:name ; sh:datatype xsd:string ; sh:maxCount 1",
        "c360:name ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1",
    )
    (change,) = diff(load(), load(edited(tmp_path, (DEALER_NAME, required))))
    assert (change.kind, change.subject, change.breaking) == (
        "became_required",
        "Dealer.name",
        True,
    )
    assert change.graphql == "Dealer.name: String -> String!"


def test_a_changed_key_drops_and_creates_its_constraint(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        (
            "rdfs:subClassOf schema:AutoDealer ;\n    owl:hasKey ( c360:code ) .",
            "rdfs:subClassOf schema:AutoDealer ;\n    owl:hasKey ( c360:code c360:name ) .",
        ),
    )
    (change,) = diff(load(), load(path))
    assert (change.kind, change.subject, change.breaking) == (
        "key_changed",
        "Dealer",
        True,
    )
    assert change.neo4j == (
        "DROP CONSTRAINT dealer_code IF EXISTS",
        "CREATE CONSTRAINT dealer_key IF NOT EXISTS FOR (n:`Dealer`) "
        "REQUIRE (n.`code`, n.`name`) IS UNIQUE",
    )


def test_a_superclass_change_is_reported_once(tmp_path: Path) -> None:
    """Every touchpoint class inherits ``outcome``; the change is Touchpoint's, not ten copies."""
    path = edited(
        tmp_path,
        (
            "[ sh:path c360:outcome ; sh:datatype xsd:string ; sh:maxCount 1 ]",
            "[ sh:path c360:outcome ; sh:datatype xsd:string ]",
        ),
    )
    assert [(c.kind, c.subject) for c in diff(load(), load(path))] == [
        ("became_list", "Touchpoint.outcome")
    ]


def test_removing_a_class_is_breaking_and_drops_its_constraint(tmp_path: Path) -> None:
    new = load(edited(tmp_path, append=ACCESSORY))
    changes = diff(new, load())
    assert [(c.kind, c.breaking) for c in changes] == [
        ("class_removed", True),
        ("relationship_removed", True),
        ("relationship_removed", True),
        ("constraint_removed", False),
    ]
    assert cypher(changes) == ("DROP CONSTRAINT accessory_accessory_code IF EXISTS",)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["ontology", "diff", *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_cli_exits_0_without_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, str(DEFAULT_PATH), str(edited(tmp_path, append=ACCESSORY))
    )
    assert code == 0
    assert out.splitlines()[0].startswith("class added Accessory")
    assert out.splitlines()[-1].startswith("CREATE CONSTRAINT accessory_accessory_code")


def test_cli_exits_1_with_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = edited(tmp_path, (CONSENT_STATUS, 'sh:in ( "granted" "denied" )'))
    code, out, err = run(capsys, str(DEFAULT_PATH), str(path))
    assert code == 1
    assert out.startswith("BREAKING enum values removed Consent.consentStatus")
    assert "1 change(s), 1 breaking" in err


def test_cli_missing_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, str(DEFAULT_PATH), str(tmp_path / "missing.ttl"))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"c360: cannot read ontology {tmp_path / 'missing.ttl'}: No such file or directory"
    ]
