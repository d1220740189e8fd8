"""The ontology as plain frozen values: parsed once from Turtle, read by every derivation.

Nothing else in the code base reads raw triples. ``build`` turns an rdflib graph into an
``Ontology`` plus the list of problems it found (``ontology.check`` adds more); ``load``
raises when there is any, because constraints, validation and GraphQL derived from a broken
schema would be wrong in ways nobody would notice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import SupportsInt, TypeGuard, cast

import rdflib
from rdflib import OWL, RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD

from ontology.errors import OntologyError, OntologyParseError, OntologyProblem

C360 = rdflib.Namespace("https://customer360.example.org/ontology#")
DEFAULT_PATH = Path(__file__).with_name("customer360.ttl")

# XSD datatypes the graph and the API understand, by local name.
DATATYPES = ("string", "integer", "decimal", "double", "boolean", "date", "dateTime")


@dataclass(frozen=True)
class Constraint:
    """One SHACL constraint on one path, as written in one shape."""

    kind: str  # minCount maxCount datatype class pattern in minInclusive maxInclusive minLength maxLength
    value: object
    shape: str  # the node shape's local name, e.g. "PersonShape"
    message: str | None = None


@dataclass(frozen=True)
class Field:
    """A datatype property as it applies to one class (OWL meaning + that class's shapes)."""

    name: str  # local name: the Neo4j property key and the GraphQL field
    iri: str
    datatype: str  # one of DATATYPES
    label: str
    comment: str
    constraints: tuple[Constraint, ...] = ()
    pii: bool = False
    purposes: tuple[str, ...] = ()
    indexed: bool = False
    fulltext_index: str | None = None
    aligned: tuple[str, ...] = ()  # schema.org (or other) equivalent terms
    # c360:derivedFrom: computed by the service (a score), from these properties; None: stored as given
    derived_from: tuple[str, ...] | None = None

    def _values(self, kind: str) -> list[object]:
        return [c.value for c in self.constraints if c.kind == kind]

    @cached_property
    def required(self) -> bool:
        return any(int(v) >= 1 for v in self._values("minCount"))  # type: ignore[call-overload]

    @cached_property
    def many(self) -> bool:
        return not any(int(v) <= 1 for v in self._values("maxCount"))  # type: ignore[call-overload]

    @cached_property
    def enum(self) -> tuple[str, ...] | None:
        sets = [tuple(cast("Iterable[object]", v)) for v in self._values("in")]
        if not sets:
            return None
        keep = [v for v in sets[0] if all(v in s for s in sets[1:])]
        return tuple(str(v) for v in keep)


@dataclass(frozen=True)
class Relationship:
    """An object property: a Neo4j relationship type from ``source`` to ``target``."""

    name: str  # local name, e.g. "owns": the GraphQL field on the source type
    iri: str
    type: str  # Neo4j relationship type, e.g. "OWNS"
    source: str  # class local name (node label)
    target: str
    label: str
    comment: str
    required: bool = False
    many: bool = True
    constraints: tuple[Constraint, ...] = ()
    edge_class: str | None = (
        None  # the reified class holding the relationship's properties
    )
    properties: tuple[Field, ...] = ()
    inverse: str | None = (
        None  # the GraphQL field on the target that walks it backwards
    )
    inverse_label: str = ""
    inverse_comment: str = ""


@dataclass(frozen=True)
class NodeType:
    """An owl:Class that is a node label."""

    name: str  # local name = Neo4j label = GraphQL type
    iri: str
    label: str
    comment: str
    abstract: bool
    superclasses: tuple[str, ...]  # ours only, nearest first
    key: tuple[str, ...]  # owl:hasKey, possibly inherited
    fields: tuple[Field, ...]
    aligned: tuple[str, ...] = ()
    order: tuple[
        str, ...
    ] = ()  # c360:orderBy: how its lists are sorted, before the key
    personal: bool = False  # c360:personal on it or a superclass: role scopes apply
    restricted: bool = False  # c360:restricted: only admin and privacy-officer read it

    @property
    def labels(self) -> tuple[str, ...]:
        """Every label a node of this class carries: its own, then its superclasses'."""
        return (self.name, *self.superclasses)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Ontology:
    path: Path
    iri: str
    version: str
    label: str
    nodes: dict[str, NodeType]
    relationships: dict[str, Relationship]
    graph: rdflib.Graph = field(repr=False, compare=False)

    def node(self, name: str) -> NodeType:
        try:
            return self.nodes[name]
        except KeyError:
            raise OntologyError(
                f"no class {name!r} in {self.path.name}; known: {', '.join(sorted(self.nodes))}"
            ) from None

    def subclasses(self, name: str) -> tuple[NodeType, ...]:
        return tuple(n for n in self.nodes.values() if name in n.superclasses)

    def outgoing(self, name: str) -> tuple[Relationship, ...]:
        """Relationships whose source is this class or one of its superclasses."""
        labels = self.node(name).labels
        return tuple(r for r in self.relationships.values() if r.source in labels)

    def incoming(self, name: str) -> tuple[Relationship, ...]:
        """Relationships with a declared inverse that end at this class or a superclass."""
        labels = self.node(name).labels
        return tuple(
            r for r in self.relationships.values() if r.target in labels and r.inverse
        )

    def relationship_by_type(self, rel_type: str) -> Relationship | None:
        return next(
            (r for r in self.relationships.values() if r.type == rel_type), None
        )


def upper_snake(name: str) -> str:
    """``hasContactPoint`` -> ``HAS_CONTACT_POINT`` (domain brief §3.4)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


def ontology_path(path: Path | str | None = None) -> Path:
    """``--ontology`` if given, else ``C360_ONTOLOGY``, else the project's own file."""
    chosen = path or os.environ.get("C360_ONTOLOGY") or DEFAULT_PATH
    return Path(chosen)


def parse(path: Path) -> rdflib.Graph:
    """The file's triples; a syntax error names the file, line and column."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise OntologyError(f"cannot read ontology {path}: {exc.strerror}") from exc
    graph = rdflib.Graph()
    try:
        graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except (
        Exception
    ) as exc:  # rdflib raises BadSyntax, or ValueError from term constructors
        line = getattr(exc, "lines", None)
        index = getattr(exc, "_i", None)
        why = getattr(exc, "_why", None) or str(exc).splitlines()[0]
        if line is None or index is None:
            raise OntologyParseError(path, None, None, why) from exc
        column = index - text.rfind(b"\n", 0, index)
        raise OntologyParseError(path, line + 1, column, why) from exc
    return graph


def load(path: Path | str | None = None) -> Ontology:
    """Parse and build; raise listing every problem if the ontology is not sound."""
    resolved = ontology_path(path)
    model, problems = build(parse(resolved), resolved)
    if problems:
        raise OntologyError(
            f"{resolved}: {len(problems)} problem(s)\n"
            + "\n".join(f"  {p}" for p in problems)
        )
    return model


@cache
def default() -> Ontology:
    """The ontology the process runs on (``C360_ONTOLOGY`` or the project's), parsed once."""
    return load(None)


# --- building ---------------------------------------------------------------------------------


class _Reader:
    def __init__(self, graph: rdflib.Graph, path: Path) -> None:
        self.g = graph
        self.path = path
        self.problems: list[OntologyProblem] = []
        self._lines = _line_index(path)

    def problem(self, term: URIRef | str, message: str) -> None:
        name = self.local(term) if isinstance(term, URIRef) else term
        self.problems.append(OntologyProblem(name, self._lines.get(name), message))

    def local(self, term: object) -> str:
        text = str(term)
        if text.startswith(str(C360)):
            return text[len(str(C360)) :]
        return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]

    def ours(self, term: object) -> TypeGuard[URIRef]:
        return isinstance(term, URIRef) and str(term).startswith(str(C360))

    def text(self, term: URIRef, prop: URIRef) -> str:
        value = self.g.value(term, prop)
        return str(value) if value is not None else ""

    def flag(self, term: object, prop: URIRef) -> bool:
        value = self.g.value(cast(rdflib.term.Node, term), prop)
        return isinstance(value, Literal) and bool(value.toPython())

    def members(self, node: object) -> list[rdflib.term.Node]:
        """The classes of a domain: one class, or an owl:unionOf list."""
        if isinstance(node, BNode):
            union = self.g.value(node, OWL.unionOf)
            return list(Collection(self.g, union)) if union is not None else []
        return [node] if node is not None else []  # type: ignore[list-item]

    def aligned(self, term: URIRef) -> tuple[str, ...]:
        out = []
        for prop in (OWL.equivalentClass, RDFS.subClassOf, OWL.equivalentProperty):
            out += [
                str(o)
                for o in self.g.objects(term, prop)
                if isinstance(o, URIRef) and not self.ours(o)
            ]
        return tuple(sorted(out))


def _line_index(path: Path) -> dict[str, int]:
    """Line where each ``c360:Term`` is first defined (a statement starting with it)."""
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return lines
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*c360:([A-Za-z_][\w-]*)\s", line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = number
    return lines


def build(graph: rdflib.Graph, path: Path) -> tuple[Ontology, list[OntologyProblem]]:
    r = _Reader(graph, path)
    g = graph

    onto = g.value(predicate=RDF.type, object=OWL.Ontology)
    version = str(g.value(onto, OWL.versionInfo) or "") if onto else ""
    if onto is None or not version:
        r.problem("Ontology", "the file needs one owl:Ontology with owl:versionInfo")

    classes = sorted((c for c in g.subjects(RDF.type, OWL.Class) if r.ours(c)), key=str)
    edge_of: dict[URIRef, URIRef] = {}
    for c in classes:
        target = g.value(c, C360.reifies)
        if target is not None:
            edge_of[c] = cast(URIRef, target)
    node_classes = [
        c for c in classes if c not in edge_of and c != C360.ProcessingPurpose
    ]

    supers: dict[URIRef, list[URIRef]] = {
        c: [s for s in g.objects(c, RDFS.subClassOf) if r.ours(s)] for c in classes
    }

    def ancestors(c: URIRef) -> list[URIRef]:
        out: list[URIRef] = []
        todo = list(supers.get(c, []))
        while todo:
            s = todo.pop(0)
            if s in out or s == c:
                continue
            out.append(s)
            todo += supers.get(s, [])
        return out

    shapes = _shapes(r)  # class -> path -> [Constraint]

    # Datatype properties: which classes use them.
    dprops: dict[URIRef, list[URIRef]] = {}
    for p in sorted(g.subjects(RDF.type, OWL.DatatypeProperty), key=str):
        if not r.ours(p):
            continue
        domains = [
            d for d in r.members(g.value(p, RDFS.domain)) if isinstance(d, URIRef)
        ]
        rng = g.value(p, RDFS.range)
        if not domains:
            r.problem(p, "datatype property has no rdfs:domain")
        if rng is None:
            r.problem(p, "datatype property has no rdfs:range")
        elif not str(rng).startswith(str(XSD)) or r.local(rng) not in DATATYPES:
            r.problem(p, f"range {rng} is not one of xsd:{', xsd:'.join(DATATYPES)}")
        for d in domains:
            if d not in classes:
                r.problem(p, f"domain {r.local(d)} is not a declared owl:Class")
        dprops[p] = domains
        _check_label(r, p)

    def field_for(p: URIRef, cls: URIRef) -> Field:
        lineage = [cls, *ancestors(cls)]
        constraints = tuple(
            con for c in lineage for con in shapes.get(c, {}).get(p, [])
        )
        shape_flag: Callable[[str], object] = lambda kind: next(  # noqa: E731
            (con.value for con in constraints if con.kind == kind), None
        )
        rng = g.value(p, RDFS.range)
        return Field(
            name=r.local(p),
            iri=str(p),
            datatype=r.local(rng) if rng is not None else "string",
            label=r.text(p, RDFS.label),
            comment=r.text(p, RDFS.comment),
            constraints=tuple(c for c in constraints if not c.kind.startswith("c360:")),
            pii=r.flag(p, C360.pii),
            purposes=tuple(
                sorted(
                    str(g.value(o, RDFS.label) or r.local(o))
                    for o in g.objects(p, C360.allowedPurpose)
                )
            ),
            indexed=bool(shape_flag("c360:indexed")),
            fulltext_index=str(shape_flag("c360:fullTextIndex"))
            if shape_flag("c360:fullTextIndex")
            else None,
            aligned=r.aligned(p),
            derived_from=derived_from(p),
        )

    def derived_from(p: URIRef) -> tuple[str, ...] | None:
        inputs = g.value(p, C360.derivedFrom)
        if inputs is None:
            return None
        return tuple(r.local(x) for x in Collection(g, inputs))

    def fields_of(cls: URIRef) -> tuple[Field, ...]:
        lineage = [cls, *ancestors(cls)]
        props = [p for p, doms in dprops.items() if any(d in doms for d in lineage)]
        return tuple(field_for(p, cls) for p in props)

    # Object properties.
    inverses: dict[URIRef, URIRef] = {}
    rel_props: list[URIRef] = []
    for p in sorted(g.subjects(RDF.type, OWL.ObjectProperty), key=str):
        if not r.ours(p):
            continue
        _check_label(r, p)
        inv = cast("URIRef | None", g.value(p, OWL.inverseOf))
        if inv is not None:
            if (inv, RDF.type, OWL.ObjectProperty) not in g:
                r.problem(
                    p, f"owl:inverseOf {r.local(inv)}, which is not an object property"
                )
            elif inv in inverses:
                r.problem(
                    p,
                    f"{r.local(inv)} already has the inverse {r.local(inverses[inv])}",
                )
            else:
                inverses[inv] = p
            continue
        rel_props.append(p)

    relationships: dict[str, Relationship] = {}
    reified = {target: c for c, target in edge_of.items()}
    for p in rel_props:
        domains = cast("list[URIRef]", r.members(g.value(p, RDFS.domain)))
        ranges = r.members(g.value(p, RDFS.range))
        if len(domains) != 1 or len(ranges) != 1:
            r.problem(
                p,
                "an object property needs exactly one rdfs:domain and one rdfs:range class",
            )
            continue
        dom, rng = domains[0], ranges[0]
        for end, what in ((dom, "domain"), (rng, "range")):
            if end not in node_classes:
                r.problem(p, f"{what} {r.local(end)} is not a declared node class")
        constraints = tuple(
            con for c in [dom, *ancestors(dom)] for con in shapes.get(c, {}).get(p, [])
        )
        for con in constraints:
            if con.kind == "class" and con.value != r.local(rng):
                r.problem(
                    p,
                    f"{con.shape} says sh:class {con.value}, the range is {r.local(rng)}",
                )
        edge = reified.get(p)
        inv = inverses.get(p)
        relationships[r.local(p)] = Relationship(
            name=r.local(p),
            iri=str(p),
            type=upper_snake(r.local(p)),
            source=r.local(dom),
            target=r.local(rng),
            label=r.text(p, RDFS.label),
            comment=r.text(p, RDFS.comment),
            required=any(
                int(cast(SupportsInt, c.value)) >= 1
                for c in constraints
                if c.kind == "minCount"
            ),
            many=not any(
                int(cast(SupportsInt, c.value)) <= 1
                for c in constraints
                if c.kind == "maxCount"
            ),
            constraints=constraints,
            edge_class=r.local(edge) if edge is not None else None,
            properties=fields_of(edge) if edge is not None else (),
            inverse=r.local(inv) if inv is not None else None,
            inverse_label=r.text(inv, RDFS.label) if inv is not None else "",
            inverse_comment=r.text(inv, RDFS.comment) if inv is not None else "",
        )
    for c, target in edge_of.items():
        if target not in rel_props:
            r.problem(
                c,
                f"c360:reifies {r.local(target)}, which is not a relationship (object property without owl:inverseOf)",
            )

    nodes: dict[str, NodeType] = {}
    for c in node_classes:
        _check_label(r, c)
        lineage = [c, *ancestors(c)]
        key: tuple[str, ...] = ()
        for lineage_class in lineage:
            key_list = g.value(lineage_class, OWL.hasKey)
            if key_list is not None:
                key = tuple(r.local(x) for x in Collection(g, key_list))
                break
        order: tuple[str, ...] = ()
        for lineage_class in lineage:
            order_list = g.value(lineage_class, C360.orderBy)
            if order_list is not None:
                order = tuple(r.local(x) for x in Collection(g, order_list))
                break
        fields = fields_of(c)
        names = {f.name for f in fields}
        for f in fields:
            for k in f.derived_from or ():
                if k not in names:
                    r.problem(
                        c,
                        f"c360:derivedFrom {k} of {f.name} is not a datatype property of {r.local(c)}",
                    )
        for k in key:
            if k not in names:
                r.problem(
                    c, f"key property {k} is not a datatype property of {r.local(c)}"
                )
        for k in order:
            if k not in names:
                r.problem(
                    c, f"c360:orderBy {k} is not a datatype property of {r.local(c)}"
                )
        nodes[r.local(c)] = NodeType(
            name=r.local(c),
            iri=str(c),
            label=r.text(c, RDFS.label),
            comment=r.text(c, RDFS.comment),
            abstract=r.flag(c, C360.abstract),
            superclasses=tuple(r.local(a) for a in ancestors(c)),
            key=key,
            fields=fields,
            aligned=r.aligned(c),
            order=order,
            personal=any(r.flag(a, C360.personal) for a in (c, *ancestors(c))),
            restricted=any(r.flag(a, C360.restricted) for a in (c, *ancestors(c))),
        )

    # Every property a class uses needs a cardinality (a property shape on that class's lineage).
    for node in nodes.values():
        for f in node.fields:
            if not any(con.kind == "maxCount" for con in f.constraints) and not any(
                con.kind in {"datatype", "minCount"} for con in f.constraints
            ):
                r.problem(
                    f.name,
                    f"{node.name}.{f.name} has no property shape (cardinality) on {node.name}Shape or a superclass shape",
                )
            for con in f.constraints:
                if con.kind == "datatype" and con.value != f.datatype:
                    r.problem(
                        f.name,
                        f"{con.shape} says sh:datatype xsd:{con.value}, the range is xsd:{f.datatype}",
                    )
    for rel in relationships.values():
        for f in rel.properties:
            for con in f.constraints:
                if con.kind == "datatype" and con.value != f.datatype:
                    r.problem(
                        f.name,
                        f"{con.shape} says sh:datatype xsd:{con.value}, the range is xsd:{f.datatype}",
                    )

    # Shapes about properties their class does not have.
    known_fields = {(cls, f.name) for cls, n in nodes.items() for f in n.fields} | {
        (rel.edge_class, f.name)
        for rel in relationships.values()
        for f in rel.properties
    }
    for cls_iri, by_path in shapes.items():
        cls = r.local(cls_iri)
        if cls not in nodes and cls_iri not in edge_of:
            r.problem(cls, "a shape targets a class that is not declared")
            continue
        for p in by_path:
            name = r.local(p)
            if name in relationships or name in {r.local(i) for i in inverses.values()}:
                continue
            if (cls, name) not in known_fields and not any(
                (s, name) in known_fields for s in nodes.get(cls, _EMPTY).labels
            ):
                r.problem(
                    name,
                    f"{cls}Shape constrains {name}, which is not a property of {cls} (check rdfs:domain)",
                )

    model = Ontology(
        path=path,
        iri=str(onto) if onto is not None else "",
        version=version,
        label=r.text(onto, RDFS.label) if isinstance(onto, URIRef) else "",
        nodes=nodes,
        relationships=relationships,
        graph=graph,
    )
    return model, r.problems


_EMPTY = NodeType("", "", "", "", False, (), (), ())


def _check_label(r: _Reader, term: URIRef) -> None:
    if not r.text(term, RDFS.label) or not r.text(term, RDFS.comment):
        r.problem(term, "needs an rdfs:label and an rdfs:comment")


_KINDS = {
    SH.minCount: "minCount",
    SH.maxCount: "maxCount",
    SH.datatype: "datatype",
    SH["class"]: "class",
    SH.pattern: "pattern",
    SH["in"]: "in",
    SH.minInclusive: "minInclusive",
    SH.maxInclusive: "maxInclusive",
    SH.minLength: "minLength",
    SH.maxLength: "maxLength",
    C360.indexed: "c360:indexed",
    C360.fullTextIndex: "c360:fullTextIndex",
}


def _shapes(r: _Reader) -> dict[URIRef, dict[URIRef, list[Constraint]]]:
    """class -> property -> constraints, from every sh:NodeShape with sh:targetClass."""
    g = r.g
    out: dict[URIRef, dict[URIRef, list[Constraint]]] = {}
    for shape in sorted(g.subjects(RDF.type, SH.NodeShape), key=str):
        shape_name = r.local(shape)
        targets = list(g.objects(shape, SH.targetClass))
        if len(targets) != 1:
            r.problem(shape_name, "a node shape needs exactly one sh:targetClass")
            continue
        cls = targets[0]
        for prop_shape in g.objects(shape, SH.property):
            path = g.value(prop_shape, SH.path)
            if not isinstance(path, URIRef):
                r.problem(
                    shape_name, "a property shape needs a plain property as sh:path"
                )
                continue
            message = g.value(prop_shape, SH.message)
            for pred, kind in _KINDS.items():
                for value in g.objects(prop_shape, pred):
                    out.setdefault(cls, {}).setdefault(path, []).append(  # type: ignore[arg-type]
                        Constraint(
                            kind,
                            _constraint_value(r, kind, value),
                            shape_name,
                            str(message) if message is not None else None,
                        )
                    )
    return out


def _constraint_value(r: _Reader, kind: str, value: rdflib.term.Node) -> object:
    if kind == "in":
        return tuple(
            v.toPython() if isinstance(v, Literal) else str(v)
            for v in Collection(r.g, value)
        )
    if kind in {"datatype", "class"}:
        return r.local(value)
    if isinstance(value, Literal):
        return value.toPython()
    return str(value)


def iter_fields(model: Ontology) -> Iterator[tuple[str, Field]]:
    """(owner, field) for every node field and relationship property: PII and docs read it."""
    for node in model.nodes.values():
        for f in node.fields:
            yield node.name, f
    for rel in model.relationships.values():
        for f in rel.properties:
            yield rel.type, f
