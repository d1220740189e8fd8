"""``c360 ontology check``: every problem at once, each with the term and its line.

Structural checks come from ``ontology.model.build`` (domains, ranges, keys, labels, shapes that
agree with the OWL part); on top of that the shapes are meta-validated with pySHACL against
SHACL-for-SHACL, and every class the file mentions must be declared.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef
from rdflib.namespace import SH

from ontology.errors import OntologyParseError, OntologyProblem
from ontology.model import C360, build, parse


def check_file(path: Path) -> list[OntologyProblem]:
    try:
        graph = parse(path)
    except OntologyParseError as exc:
        return [
            OntologyProblem(
                "Turtle", exc.line, f"syntax error at column {exc.column}: {exc.why}"
            )
        ]
    _model, problems = build(graph, path)
    lines = {p.term: p.line for p in problems}
    problems += _dangling_classes(graph, lines)
    problems += _meta_validate(graph)
    return problems


def _dangling_classes(
    graph: rdflib.Graph, lines: dict[str, int | None]
) -> list[OntologyProblem]:
    """Classes of ours that are used (as domain, range, superclass, shape target) but not declared."""
    declared = set(graph.subjects(RDF.type, OWL.Class))
    used: dict[URIRef, str] = {}
    for pred, how in (
        (RDFS.subClassOf, "a superclass"),
        (RDFS.range, "a range"),
        (RDFS.domain, "a domain"),
        (SH.targetClass, "a shape target"),
        (SH["class"], "an sh:class"),
        (OWL.unionOf, "a union member"),
    ):
        for _subject, obj in graph.subject_objects(pred):
            if pred == OWL.unionOf:
                members = list(rdflib.collection.Collection(graph, obj))
            else:
                members = [obj]
            for m in members:
                if (
                    isinstance(m, URIRef)
                    and str(m).startswith(str(C360))
                    and m not in declared
                ):
                    used.setdefault(m, f"used as {how} but not declared as owl:Class")
    return [
        OntologyProblem(
            str(m)[len(str(C360)) :], lines.get(str(m)[len(str(C360)) :]), why
        )
        for m, why in sorted(used.items())
    ]


def _meta_validate(graph: rdflib.Graph) -> list[OntologyProblem]:
    """pySHACL checks the shapes themselves against SHACL-for-SHACL (the W3C meta shapes)."""
    try:
        pyshacl.validate(rdflib.Graph(), shacl_graph=graph, meta_shacl=True)
    except (
        Exception
    ) as exc:  # pySHACL raises ReportableRuntimeError with the report as text
        text = str(exc).strip().splitlines()
        message = next(
            (t.strip() for t in text if "Message" in t), text[0] if text else "invalid"
        )
        return [OntologyProblem("shapes", None, f"SHACL-for-SHACL: {message}")]
    return []


__all__ = ["check_file"]
