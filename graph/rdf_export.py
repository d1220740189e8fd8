"""The graph as RDF in the ontology's own terms, so SHACL and triple stores can read it.

Everything is driven by the ``Ontology``: a class, property or relationship added to the
Turtle exports with no change here. Nodes, then relationships, are read in ``elementId``
order a batch at a time, inside one read transaction: element ids are only stable within a
transaction, and relationships find their ends' subjects by element id.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, LiteralString
from urllib.parse import quote

import neo4j
import rdflib
from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import IdentifiedNode

from ontology.errors import C360Error
from ontology.model import C360, Field, NodeType, Ontology

log = logging.getLogger(__name__)

ID_BASE = "https://customer360.example.org/id/"
SCHEMA = rdflib.Namespace("https://schema.org/")

NODES: LiteralString = """
MATCH (n) WHERE elementId(n) > $after
WITH n ORDER BY elementId(n) LIMIT $limit
RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props
"""

RELATIONSHIPS: LiteralString = """
MATCH (a)-[r]->(b) WHERE elementId(r) > $after
WITH a, r, b ORDER BY elementId(r) LIMIT $limit
RETURN elementId(r) AS id, elementId(a) AS start, type(r) AS type,
       properties(r) AS props, elementId(b) AS end
"""

# The customer's neighbourhood: one hop either way, plus the contact points its records gave.
NEIGHBOURHOOD: LiteralString = """
MATCH (p:Person {id: $id})
RETURN [elementId(p)]
       + [(p)--(n) | elementId(n)]
       + [(p)<-[:RESOLVED_TO]-()-[:HAS_CONTACT_POINT]->(c) | elementId(c)] AS ids
"""

NODES_BY_ID: LiteralString = """
UNWIND $ids AS id
MATCH (n) WHERE elementId(n) = id
RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props
"""

RELATIONSHIPS_AMONG: LiteralString = """
UNWIND $ids AS id
MATCH (a)-[r]->(b) WHERE elementId(a) = id AND elementId(b) IN $among
RETURN elementId(r) AS id, elementId(a) AS start, type(r) AS type,
       properties(r) AS props, elementId(b) AS end
"""


class UnknownCustomer(C360Error):
    """``--customer`` names no Person: the caller's input is wrong."""

    exit_code = 2


def export_rdf(
    driver: neo4j.Driver,
    model: Ontology,
    *,
    customer_id: str | None = None,
    include_pii: bool = True,
    database: str = "neo4j",
    batch_size: int = 5000,
    skipped: Counter[str] | None = None,
) -> rdflib.Graph:
    """The whole graph, or one customer's neighbourhood, as triples typed by the ontology.

    The neighbourhood is the Person, every node one hop away and the contact points its
    source records gave, with every relationship among those nodes.

    What the ontology does not know (labels, properties, relationship types) is left out
    and counted into ``skipped`` if given, else logged. ``include_pii=False`` drops every
    ``c360:pii`` property, and gives nodes keyed by personal data a blank node.
    """
    with driver.session(
        database=database, default_access_mode=neo4j.READ_ACCESS
    ) as session:
        writer = session.execute_read(
            _export, model, customer_id, include_pii, batch_size
        )
    if skipped is not None:
        skipped.update(writer.skipped)
    elif writer.skipped:
        log.warning("RDF export skipped: %s", format_skipped(writer.skipped))
    return writer.graph


def serialize(graph: rdflib.Graph, fmt: str) -> str:
    """``turtle``, or ``json-ld`` compacted with the bound prefixes so keys stay readable."""
    if fmt == "json-ld":
        context = {p: str(ns) for p, ns in graph.namespaces() if p}
        return graph.serialize(format="json-ld", context=context)
    return graph.serialize(format="turtle")


def format_skipped(skipped: Counter[str]) -> str:
    return ", ".join(f"{what} x{n}" for what, n in sorted(skipped.items()))


def _export(
    tx: neo4j.ManagedTransaction,
    model: Ontology,
    customer_id: str | None,
    include_pii: bool,
    batch_size: int,
) -> _Writer:
    # Built here, not by the caller: a retried transaction starts from an empty graph.
    writer = _Writer(model, include_pii)
    if customer_id is None:
        for record in _pages(tx, NODES, batch_size):
            writer.node(record)
        for record in _pages(tx, RELATIONSHIPS, batch_size):
            writer.relationship(record)
        return writer
    found = tx.run(NEIGHBOURHOOD, id=customer_id).single()
    if found is None:
        raise UnknownCustomer(f"no customer (Person) with id {customer_id!r}")
    ids = list(dict.fromkeys(found["ids"]))
    chunks = [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
    for chunk in chunks:
        for record in tx.run(NODES_BY_ID, ids=chunk):
            writer.node(record)
    for chunk in chunks:
        for record in tx.run(RELATIONSHIPS_AMONG, ids=chunk, among=ids):
            writer.relationship(record)
    return writer


def _pages(
    tx: neo4j.ManagedTransaction, query: LiteralString, batch_size: int
) -> Iterator[neo4j.Record]:
    """Keyset pagination on ``elementId``: at most ``batch_size`` rows per query, no offsets."""
    after = ""
    while True:
        batch = list(tx.run(query, after=after, limit=batch_size))
        yield from batch
        if len(batch) < batch_size:
            return
        after = batch[-1]["id"]


class _Writer:
    """Turns node and relationship records into triples; remembers each node's subject."""

    def __init__(self, model: Ontology, include_pii: bool) -> None:
        self.model = model
        self.include_pii = include_pii
        self.graph = rdflib.Graph(bind_namespaces="none")
        for prefix, ns in (
            ("c360", C360),
            ("schema", SCHEMA),
            ("xsd", XSD),
            ("rdf", RDF),
        ):
            self.graph.bind(prefix, ns, override=True)
        self.subjects: dict[str, IdentifiedNode] = {}
        self.skipped: Counter[str] = Counter()

    def node(self, record: neo4j.Record) -> None:
        labels: list[str] = record["labels"]
        cls = self._most_specific(labels)
        if cls is None:
            return
        props: dict[str, Any] = record["props"]
        subject = self._subject(cls, props)
        self.subjects[record["id"]] = subject
        self.graph.add((subject, RDF.type, URIRef(cls.iri)))
        for name, value in props.items():
            f = cls.field(name)
            if f is None:
                self.skipped[f"property {cls.name}.{name}"] += 1
            elif self.include_pii or not f.pii:
                self._values(subject, f, value)

    def relationship(self, record: neo4j.Record) -> None:
        rel_type: str = record["type"]
        rel = self.model.relationship_by_type(rel_type)
        if rel is None:
            self.skipped[f"relationship type {rel_type}"] += 1
            return
        start = self.subjects.get(record["start"])
        end = self.subjects.get(record["end"])
        if start is None or end is None:
            self.skipped[f"relationship {rel_type} to a node not exported"] += 1
            return
        predicate = URIRef(rel.iri)
        self.graph.add((start, predicate, end))
        if rel.edge_class is None:
            return
        fields = {f.name: f for f in rel.properties}
        values: list[tuple[Field, object]] = []
        for name, value in record["props"].items():
            f = fields.get(name)
            if f is None:
                self.skipped[f"property {rel_type}.{name}"] += 1
            elif self.include_pii or not f.pii:
                values.append((f, value))
        if not values:
            return
        statement = BNode()  # blank: two OWNS between the same ends must not merge
        self.graph.add((statement, RDF.type, C360[rel.edge_class]))
        self.graph.add((statement, RDF.subject, start))
        self.graph.add((statement, RDF.predicate, predicate))
        self.graph.add((statement, RDF.object, end))
        for f, value in values:
            self._values(statement, f, value)

    def _most_specific(self, labels: list[str]) -> NodeType | None:
        """The known label whose superclasses include every other known label."""
        for label in labels:
            if label not in self.model.nodes:
                self.skipped[f"label {label}"] += 1
        known = [
            self.model.nodes[label] for label in labels if label in self.model.nodes
        ]
        for cls in known:
            if all(o is cls or o.name in cls.superclasses for o in known):
                return cls
        if known:
            names = "+".join(sorted(c.name for c in known))
            self.skipped[f"node with unrelated classes {names}"] += 1
        return None

    def _subject(self, cls: NodeType, props: dict[str, Any]) -> IdentifiedNode:
        """The key's IRI; a blank node if the key is missing or would reveal PII."""
        values = [props.get(k) for k in cls.key]
        hides_pii = not self.include_pii and any(
            (f := cls.field(k)) is not None and f.pii for k in cls.key
        )
        if not values or None in values or hides_pii:
            return BNode()
        parts = "/".join(quote(str(_native(v)), safe="") for v in values)
        return URIRef(f"{ID_BASE}{cls.name}/{parts}")

    def _values(self, subject: IdentifiedNode, f: Field, value: object) -> None:
        predicate = URIRef(f.iri)
        for item in value if isinstance(value, list) else [value]:
            self.graph.add((subject, predicate, _literal(item, f.datatype)))


def _native(value: object) -> object:
    """neo4j.time values -> datetime/date, which rdflib writes as xsd lexical forms."""
    to_native = getattr(value, "to_native", None)
    return to_native() if callable(to_native) else value


def _literal(value: object, datatype: str) -> Literal:
    native = _native(value)
    if datatype == "string":
        # A plain literal is xsd:string in RDF 1.1, and the shapes' sh:in lists are plain:
        # rdflib and pySHACL treat "x" and "x"^^xsd:string as different terms.
        isoformat = getattr(native, "isoformat", None)
        return Literal(isoformat() if callable(isoformat) else str(native))
    if datatype == "decimal" and isinstance(native, float):
        native = format(Decimal(repr(native)), "f")  # Neo4j has no decimal type
    return Literal(native, datatype=XSD[datatype])
