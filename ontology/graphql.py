"""The GraphQL API derived from the ontology, described without any GraphQL library.

``api.schema`` turns this description into strawberry types and ``graph.compile`` turns a
request's selection into Cypher with it, so both read the same mapping (domain brief §3.4):

- every node class -> an object type with its datatype properties as fields; ``sh:minCount 1``
  makes a field non-null and a property without ``sh:maxCount 1`` a list;
- every relationship -> a field on its source type named like the object property (and, with
  ``owl:inverseOf``, a field on its target type); a relationship with a reified class returns
  edge objects carrying the relationship's properties plus ``node``, the node at the other end;
- ``sh:in`` -> an enum named after the property; each scalar field gets a filter in
  ``<Type>Where`` and a sort key in ``<Type>Sort``;
- every class -> a root connection field (``dealers(where, orderBy, first, after)``), and a
  class with a one-property key also a lookup (``dealer(code: ...)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ontology.model import Field, NodeType, Ontology, Relationship

SCALARS = {
    "string": "String",
    "integer": "Int",
    "decimal": "Float",
    "double": "Float",
    "boolean": "Boolean",
    "date": "Date",
    "dateTime": "DateTime",
}


@dataclass(frozen=True)
class GqlEnum:
    name: str
    description: str
    values: tuple[tuple[str, str], ...]  # (GraphQL name, stored value)


@dataclass(frozen=True)
class GqlScalarField:
    """A field read from a node or relationship property."""

    name: str  # GraphQL field name = Neo4j property key
    scalar: str  # GraphQL scalar (ID, String, Int, Float, Boolean, Date, DateTime) or enum name
    enum: GqlEnum | None
    many: bool
    required: bool
    description: str
    pii: bool
    purposes: tuple[
        str, ...
    ] = ()  # labels of its c360:allowedPurpose, e.g. "marketing"
    derived_from: tuple[str, ...] | None = (
        None  # c360:derivedFrom: computed, from these
    )


@dataclass(frozen=True)
class GqlRelationField:
    """A field that walks a relationship: to node objects, or to edge objects when it has properties."""

    name: str
    rel_type: str  # Neo4j relationship type
    direction: str  # "out" (source -> target) or "in" (the inverse)
    node_type: str  # type of the node at the other end
    edge_type: str | None  # the edge object type when the relationship has properties
    many: bool
    required: bool
    description: str


@dataclass(frozen=True)
class GqlType:
    name: str
    description: str
    label: str | None  # Neo4j label for node types; None for edge types
    scalars: tuple[GqlScalarField, ...]
    relations: tuple[GqlRelationField, ...]
    edge_node: str | None = None  # for edge types: the type of ``node``
    key: tuple[
        str, ...
    ] = ()  # owl:hasKey of a node type: the stable order of its lists
    order: tuple[str, ...] = ()  # c360:orderBy: lists sort by these, then by the key
    concrete: tuple[
        str, ...
    ] = ()  # an abstract class: the GraphQL interface of these types
    implements: tuple[
        str, ...
    ] = ()  # the abstract classes (interfaces) above this type
    personal: bool = False  # c360:personal: about the people it leads to (role scopes)
    restricted: bool = False  # c360:restricted: admin and privacy-officer only

    @property
    def interface(self) -> bool:
        return bool(self.concrete)

    @property
    def computed(self) -> tuple[GqlScalarField, ...]:
        """Its machine-computed fields (``c360:derivedFrom``), explained by the API."""
        return tuple(s for s in self.scalars if s.derived_from is not None)


@dataclass(frozen=True)
class GqlRoot:
    """Root query fields of one node type."""

    type: str
    lookup: str | None  # e.g. "dealer"
    key: GqlScalarField | None  # argument of the lookup
    list_field: str  # e.g. "dealers"


@dataclass(frozen=True)
class GqlSchema:
    types: dict[str, GqlType]
    enums: dict[str, GqlEnum]
    roots: tuple[GqlRoot, ...]

    def type(self, name: str) -> GqlType:
        return self.types[name]

    def scalar(self, type_: GqlType, name: str) -> GqlScalarField | None:
        """A field of the type, or (for an interface) of one of its concrete types: a
        selection on an interface may ask for a type's own field in ``... on Type``."""
        for t in (type_, *(self.types[c] for c in type_.concrete)):
            found = next((s for s in t.scalars if s.name == name), None)
            if found is not None:
                return found
        return None

    def relation(self, type_: GqlType, name: str) -> GqlRelationField | None:
        for t in (type_, *(self.types[c] for c in type_.concrete)):
            found = next((r for r in t.relations if r.name == name), None)
            if found is not None:
                return found
        return None


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def lower_first(name: str) -> str:
    """``SourceRecord`` -> ``sourceRecord``; a leading acronym stays whole (``VIN`` -> ``vin``)."""
    match = re.match(r"[A-Z]+(?=[A-Z][a-z]|$)", name)
    if match and len(match.group()) > 1:
        return match.group().lower() + name[match.end() :]
    return name[:1].lower() + name[1:]


def plural(name: str) -> str:
    """English plural of a lower-camel name: ``country`` -> ``countries``, ``person`` -> ``persons``."""
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    return name + "s"


def enum_value_name(value: str) -> str:
    """Stored ``sleeper_lead`` -> GraphQL ``SLEEPER_LEAD``."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper()
    return name if name and not name[0].isdigit() else f"V_{name}"


def _scalar_field(
    f: Field, enums: dict[str, GqlEnum], key: tuple[str, ...]
) -> GqlScalarField:
    enum = enums[pascal(f.name)] if f.enum else None
    scalar = enum.name if enum else SCALARS[f.datatype]
    if key == ("id",) and f.name == "id" and f.datatype == "string":
        scalar = "ID"
    return GqlScalarField(
        name=f.name,
        scalar=scalar,
        enum=enum,
        many=f.many,
        required=f.required,
        description=f.comment or f.label,
        pii=f.pii,
        purposes=f.purposes,
        derived_from=f.derived_from,
    )


def _edge_type_name(rel: Relationship, direction: str) -> str:
    assert rel.edge_class is not None  # noqa: S101 - callers check; mypy narrowing only
    return (
        rel.edge_class
        if direction == "out"
        else f"{pascal(rel.inverse or rel.name)}Edge"
    )


def _enums(model: Ontology) -> dict[str, GqlEnum]:
    """One enum per property with an ``sh:in``: the union of its lists over every class
    and relationship that uses it (Touchpoint and Consent both have a channel; each
    class's shape still checks its own list)."""
    fields = [
        f for n in sorted(model.nodes.values(), key=lambda n: n.name) for f in n.fields
    ]
    fields += [
        f
        for r in sorted(model.relationships.values(), key=lambda r: r.name)
        for f in r.properties
    ]
    values: dict[str, dict[str, None]] = {}
    described: dict[str, str] = {}
    for f in fields:
        if f.enum:
            values.setdefault(f.name, {}).update(dict.fromkeys(f.enum))
            described.setdefault(f.name, f.comment or f.label)
    return {
        pascal(name): GqlEnum(
            pascal(name),
            described[name],
            tuple((enum_value_name(v), v) for v in vals),
        )
        for name, vals in values.items()
    }


def describe(model: Ontology) -> GqlSchema:
    enums = _enums(model)
    types: dict[str, GqlType] = {}
    roots: list[GqlRoot] = []
    for node in sorted(model.nodes.values(), key=lambda n: n.name):
        scalars = tuple(_scalar_field(f, enums, node.key) for f in node.fields)
        relations = [_out_field(r) for r in model.outgoing(node.name)]
        relations += [_in_field(r) for r in model.incoming(node.name)]
        abstract_above = tuple(s for s in node.superclasses if model.nodes[s].abstract)
        types[node.name] = GqlType(
            node.name,
            node.comment or node.label,
            node.name,
            scalars,
            tuple(sorted(relations, key=lambda r: r.name)),
            key=node.key,
            order=node.order,
            concrete=tuple(
                sorted(n.name for n in model.subclasses(node.name) if not n.abstract)
            )
            if node.abstract
            else (),
            implements=abstract_above,
            personal=node.personal,
            restricted=node.restricted,
        )
        roots.append(_root(node, scalars))
    for rel in sorted(model.relationships.values(), key=lambda r: r.name):
        if not rel.edge_class:
            continue
        props = tuple(_scalar_field(f, enums, ()) for f in rel.properties)
        for direction, other in (("out", rel.target), ("in", rel.source)):
            if direction == "in" and not rel.inverse:
                continue
            name = _edge_type_name(rel, direction)
            types[name] = GqlType(
                name,
                f"{rel.label}: {rel.comment}"
                if direction == "out"
                else f"{rel.inverse_label}: {rel.inverse_comment}",
                None,
                props,
                (),
                edge_node=other,
            )
    return GqlSchema(types, dict(sorted(enums.items())), tuple(roots))


def _out_field(rel: Relationship) -> GqlRelationField:
    return GqlRelationField(
        name=rel.name,
        rel_type=rel.type,
        direction="out",
        node_type=rel.target,
        edge_type=_edge_type_name(rel, "out") if rel.edge_class else None,
        many=rel.many,
        required=rel.required,
        description=rel.comment or rel.label,
    )


def _in_field(rel: Relationship) -> GqlRelationField:
    assert rel.inverse is not None  # noqa: S101 - model.incoming only yields declared inverses
    return GqlRelationField(
        name=rel.inverse,
        rel_type=rel.type,
        direction="in",
        node_type=rel.source,
        edge_type=_edge_type_name(rel, "in") if rel.edge_class else None,
        many=True,
        required=False,
        description=rel.inverse_comment or rel.inverse_label,
    )


def _root(node: NodeType, scalars: tuple[GqlScalarField, ...]) -> GqlRoot:
    base = lower_first(node.name)
    key = next((s for s in scalars if node.key == (s.name,)), None)
    return GqlRoot(node.name, base if key else None, key, plural(base))


__all__ = ["GqlSchema", "describe", "enum_value_name", "plural"]
