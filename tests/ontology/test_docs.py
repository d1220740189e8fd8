"""The reference docs and diagram follow the ontology: every term, new ones without code changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from api.cli import main
from ontology.docs import GraphvizError, model_dot, reference_markdown, write_docs
from ontology.model import DEFAULT_PATH, Ontology, load

ROOT = Path(__file__).resolve().parents[2]
FILES = ["reference.md", "model.dot", "model.svg", "model.png"]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz dot is not installed (apt-get install graphviz)",
)

# A maintainer adds a class keyed by the existing sku and a relationship to Model. sku is shared
# with Product, so its domain becomes a union, as the ontology does for every shared property.
SKU_DOMAIN = "c360:sku a owl:DatatypeProperty ; rdfs:range xsd:string ; rdfs:domain c360:Product ;"
ACCESSORY = """
c360:Accessory a owl:Class ;
    rdfs:label "Accessory" ; rdfs:comment "A bolt-on part, e.g. a titanium exhaust." ;
    owl:hasKey ( c360:sku ) .
c360:torqueNm a owl:DatatypeProperty ; rdfs:domain c360:Accessory ; rdfs:range xsd:integer ;
    rdfs:label "torque" ; rdfs:comment "Tightening torque in newton metres." .
c360:finish a owl:DatatypeProperty ; rdfs:domain c360:Accessory ; rdfs:range xsd:string ;
    rdfs:label "finish" ; rdfs:comment "Surface finish of the part." .
c360:fitsModel a owl:ObjectProperty ; rdfs:domain c360:Accessory ; rdfs:range c360:Model ;
    rdfs:label "fits model" ; rdfs:comment "A model this accessory fits." .
c360:AccessoryShape a sh:NodeShape ; sh:targetClass c360:Accessory ;
    sh:property [ sh:path c360:sku ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] ,
        [ sh:path c360:torqueNm ; sh:datatype xsd:integer ; sh:maxCount 1 ; sh:minInclusive 1 ] ,
        [ sh:path c360:finish ; sh:datatype xsd:string ; sh:maxCount 1 ; sh:in ( "matte" "gloss" ) ] ,
        [ sh:path c360:fitsModel ; sh:class c360:Model ] .
"""


def with_accessory(tmp_path: Path) -> Ontology:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert SKU_DOMAIN in text
    text = text.replace(
        SKU_DOMAIN,
        SKU_DOMAIN.replace(
            "c360:Product ;", "[ owl:unionOf ( c360:Product c360:Accessory ) ] ;"
        ),
    )
    path = tmp_path / "accessory.ttl"
    path.write_text(text + ACCESSORY, encoding="utf-8")
    return load(path)


def test_reference_and_diagram_cover_the_real_ontology() -> None:
    model = load(DEFAULT_PATH)
    md, dot = reference_markdown(model), model_dot(model)
    assert md.startswith(f"# {model.label} ontology {model.version}")
    for name, node in model.nodes.items():
        assert f"\n### {name}\n" in md
        assert f"- [{name}](#{name.lower()})" in md  # table of contents
        assert f'"{name}" [label=' in dot
        assert node.comment in md
    for rel in model.relationships.values():
        assert f"| `{rel.type}` |" in md
        assert f'"{rel.source}" -> "{rel.target}" [label=<<b>{rel.type}</b>' in dot
    assert "MATCH (n:Dealer {code: $code}) RETURN n" in md
    assert (
        "MATCH (n:Person {id: $id})-[r:ATTENDED]->(m:Event) RETURN m, properties(r) AS attendance"
        in md
    )
    assert '"Email" -> "ContactPoint" [style=dashed, arrowhead=empty' in dot
    # Personal data by purpose, and the Neo4j schema the graph layer applies.
    assert "| profiling | `Person.birthDate`, `SourceRecord.birthDate` |" in md
    assert "CREATE CONSTRAINT dealer_code IF NOT EXISTS" in md
    assert "| `person_search` | fulltext | `:Person` | `searchText` |" in md


def test_a_new_class_appears_without_code_changes(tmp_path: Path) -> None:
    model = with_accessory(tmp_path)
    md, dot = reference_markdown(model), model_dot(model)
    section = md.split("\n### Accessory\n", 1)[1].split("\n### ", 1)[0]
    assert "**Accessory.** A bolt-on part, e.g. a titanium exhaust." in section
    assert "- Key: `sku` (uniqueness constraint `accessory_sku`)" in section
    assert "| `finish` | string | 0..1 | `matte`, `gloss` |" in section
    assert "| `torqueNm` | integer | 0..1 | min `1` |" in section
    assert "| `fitsModel` | `FITS_MODEL` | [Model](#model) | 0..* |" in section
    assert (
        "MATCH (n:Accessory {sku: $sku})-[r:FITS_MODEL]->(m:Model) RETURN m" in section
    )
    assert "| `FITS_MODEL` | [Accessory](#accessory) | [Model](#model) |" in md
    assert (
        '"Accessory" [label=<<b>Accessory</b><br/><font point-size="8">sku</font>>];'
        in dot
    )
    assert '"Accessory" -> "Model" [label=<<b>FITS_MODEL</b>>];' in dot


@needs_dot
def test_write_docs_writes_all_four_files(tmp_path: Path) -> None:
    paths = write_docs(load(DEFAULT_PATH), tmp_path / "out")
    assert [p.name for p in paths] == FILES
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        FILES
    )  # no temp files left
    svg = ET.parse(tmp_path / "out" / "model.svg").getroot()  # noqa: S314 - our own dot output
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "OWNS" in "".join(svg.itertext())
    assert (
        (tmp_path / "out" / "model.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    )


def test_without_dot_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizError, match="apt-get install graphviz"):
        write_docs(load(DEFAULT_PATH), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@needs_dot
def test_docs_are_the_same_bytes_across_runs(tmp_path: Path) -> None:
    """Separate processes with different hash seeds: set ordering must not leak into the docs."""
    for seed in ("1", "2"):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "ontology",
                "docs",
                "--out",
                str(tmp_path / seed),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
        )
    for name in ("reference.md", "model.dot"):
        assert (tmp_path / "1" / name).read_bytes() == (
            tmp_path / "2" / name
        ).read_bytes()


@needs_dot
def test_cli_prints_the_written_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "ontology",
                "docs",
                "--ontology",
                str(DEFAULT_PATH),
                "--out",
                str(tmp_path),
            ]
        )
    assert exit_.value.code == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tmp_path / name) for name in FILES]
    assert err.startswith("c360: 4 files in ")


def test_cli_missing_ontology_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.ttl"
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "ontology",
                "docs",
                "--ontology",
                str(missing),
                "--out",
                str(tmp_path / "out"),
            ]
        )
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"c360: cannot read ontology {missing}: No such file or directory"
    ]
    assert not (tmp_path / "out").exists()
