"""What changes between two versions of the ontology, for Neo4j and for GraphQL clients.

``c360 ontology diff`` prints it for review and ``graph.migrate`` reads it to find the data a
removal would strand. A change is *breaking* when GraphQL clients or stored data can stop
working: removals, narrower types (required, enum values removed, list <-> single, another
scalar), a moved relationship and a changed key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ontology.graphql import SCALARS, enum_value_name, lower_first, pascal, plural
from ontology.model import Field, NodeType, Ontology, Relationship
from ontology.neo4j_schema import SchemaItem, schema_items


@dataclass(frozen=True)
class Change:
    """One difference: ``subject`` is ``Class``, ``Class.property``, ``TYPE`` or ``TYPE.property``."""

    kind: str  # e.g. "class_added", "property_removed", "became_required", "constraint_added"
    subject: str
    detail: str
    breaking: bool
    neo4j: tuple[str, ...] = ()  # Cypher the change implies
    graphql: str = "no change"

    def __str__(self) -> str:
        mark = "BREAKING " if self.breaking else ""
        return f"{mark}{self.kind.replace('_', ' ')} {self.subject}: {self.detail} (GraphQL: {self.graphql})"


def diff(old: Ontology, new: Ontology) -> list[Change]:
    """Every change from ``old`` to ``new``: classes, properties, relationships, then schema."""
    rekeyed = sorted(
        name
        for name in old.nodes.keys() & new.nodes.keys()
        if old.nodes[name].key != new.nodes[name].key
        and (_declares_key(old, name) or _declares_key(new, name))
    )
    changes = list(_classes(old, new))
    changes += _keys(old, new, rekeyed)
    changes += _fields(old, new)
    changes += _relationships(old, new)
    changes += _schema(old, new, set(rekeyed))
    return changes


def cypher(changes: list[Change]) -> tuple[str, ...]:
    """The changes' statements once each, drops before creates (a new constraint may replace an old one)."""
    unique = list(dict.fromkeys(s for c in changes for s in c.neo4j))
    return tuple(s for s in unique if s.startswith("DROP")) + tuple(
        s for s in unique if not s.startswith("DROP")
    )


# --- classes and keys -------------------------------------------------------------------------


def _classes(old: Ontology, new: Ontology) -> Iterator[Change]:
    for name in sorted(old.nodes.keys() - new.nodes.keys()):
        yield Change(
            "class_removed",
            name,
            f"label {name} is no longer in the ontology",
            breaking=True,
            graphql=f"type {name} and root fields {_roots(old.nodes[name])} removed",
        )
    for name in sorted(new.nodes.keys() - old.nodes.keys()):
        node = new.nodes[name]
        kind = "interface" if node.abstract else "type"
        fields = ", ".join(f.name for f in node.fields) or "no fields"
        yield Change(
            "class_added",
            name,
            f"new label {name}"
            + (f" (also {', '.join(node.superclasses)})" if node.superclasses else ""),
            breaking=False,
            graphql=f"new {kind} {name} ({fields}); root fields {_roots(node)}",
        )


def _roots(node: NodeType) -> str:
    base = lower_first(node.name)
    lookup = f" and {base}({node.key[0]}:)" if len(node.key) == 1 else ""
    return plural(base) + lookup


def _declares_key(model: Ontology, name: str) -> bool:
    """The class itself holds the uniqueness constraint (it does not inherit its key)."""
    node = model.nodes.get(name)
    return (
        node is not None
        and bool(node.key)
        and not any(model.nodes[s].key for s in node.superclasses)
    )


def _keys(old: Ontology, new: Ontology, rekeyed: list[str]) -> Iterator[Change]:
    for name in rekeyed:
        before, after = old.nodes[name], new.nodes[name]
        drops = tuple(
            i.drop for i in schema_items(old) if i.kind == "unique" and i.label == name
        )
        creates = tuple(
            i.statement
            for i in schema_items(new)
            if i.kind == "unique" and i.label == name
        )
        yield Change(
            "key_changed",
            name,
            f"key ({', '.join(before.key)}) -> ({', '.join(after.key)})",
            breaking=True,
            neo4j=drops + creates,
            graphql=f"root fields {_roots(before)} -> {_roots(after)}",
        )


# --- datatype properties ----------------------------------------------------------------------


def _fields(old: Ontology, new: Ontology) -> Iterator[Change]:
    """Field changes of classes in both versions; a subclass repeating its superclass's change is left out."""
    per_class = {
        name: {
            f: _field(
                name,
                name,
                old.nodes[name].field(f),
                new.nodes[name].field(f),
                new.nodes[name].key,
            )
            for f in sorted(
                {x.name for x in old.nodes[name].fields}
                | {x.name for x in new.nodes[name].fields}
            )
        }
        for name in sorted(old.nodes.keys() & new.nodes.keys())
    }
    for name, by_field in per_class.items():
        supers = [s for s in new.nodes[name].superclasses if s in per_class]
        for f, changes in by_field.items():
            if any(_same(changes, per_class[s].get(f, [])) for s in supers):
                continue
            yield from changes


def _same(a: list[Change], b: list[Change]) -> bool:
    return [(c.kind, c.detail) for c in a] == [(c.kind, c.detail) for c in b]


def _field(
    subject: str,
    owner: str,
    old: Field | None,
    new: Field | None,
    key: tuple[str, ...],
    what: str = "property",
) -> list[Change]:
    """Changes of one field; ``owner`` is the GraphQL type (or edge types) carrying it."""
    if old is None and new is not None:
        required = " (required: existing nodes lack it)" if new.required else ""
        return [
            Change(
                f"{what}_added",
                f"{subject}.{new.name}",
                f"xsd:{new.datatype}{required}",
                breaking=new.required,
                graphql=f"new field {owner}.{new.name}: {_gql_field(new, key)}",
            )
        ]
    if new is None and old is not None:
        return [
            Change(
                f"{what}_removed",
                f"{subject}.{old.name}",
                f"xsd:{old.datatype} is no longer in the ontology",
                breaking=True,
                graphql=f"field {owner}.{old.name} removed",
            )
        ]
    assert old is not None  # noqa: S101 - callers pass at least one
    assert new is not None  # noqa: S101
    at = f"{subject}.{new.name}"
    effect = f"{owner}.{new.name}: {_gql_field(old, key)} -> {_gql_field(new, key)}"
    out: list[Change] = []
    if old.datatype != new.datatype:
        narrows = SCALARS[old.datatype] != SCALARS[new.datatype]
        out.append(
            Change(
                "datatype_changed",
                at,
                f"xsd:{old.datatype} -> xsd:{new.datatype}",
                narrows,
                graphql=effect,
            )
        )
    out += _cardinality(at, effect, (old.required, old.many), (new.required, new.many))
    out += _enum(at, effect, new.name, old.enum, new.enum)
    return out


def _cardinality(
    at: str, effect: str, old: tuple[bool, bool], new: tuple[bool, bool]
) -> list[Change]:
    """(required, many) before and after: sh:minCount 1 and the absence of sh:maxCount 1."""
    out = []
    if old[0] != new[0]:
        kind, detail = (
            ("became_required", "sh:minCount 1 added")
            if new[0]
            else ("became_optional", "sh:minCount 1 removed")
        )
        out.append(Change(kind, at, detail, new[0], graphql=effect))
    if old[1] != new[1]:
        kind, detail = (
            ("became_list", "sh:maxCount 1 removed")
            if new[1]
            else ("became_single", "sh:maxCount 1 added")
        )
        out.append(Change(kind, at, detail, True, graphql=effect))
    return out


def _enum(
    at: str,
    effect: str,
    name: str,
    old: tuple[str, ...] | None,
    new: tuple[str, ...] | None,
) -> list[Change]:
    if old is None and new is None:
        return []
    if old is None or new is None:
        kind = "became_enum" if new is not None else "no_longer_enum"
        detail = f"sh:in ({' '.join(new)})" if new is not None else "sh:in removed"
        return [Change(kind, at, detail, True, graphql=effect)]
    out = []
    enum = pascal(name)
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    if added:
        values = ", ".join(enum_value_name(v) for v in added)
        out.append(
            Change(
                "enum_values_added",
                at,
                " ".join(added),
                False,
                graphql=f"enum {enum} gains {values}",
            )
        )
    if removed:
        values = ", ".join(enum_value_name(v) for v in removed)
        out.append(
            Change(
                "enum_values_removed",
                at,
                " ".join(removed),
                True,
                graphql=f"enum {enum} loses {values}",
            )
        )
    return out


def _gql_field(f: Field, key: tuple[str, ...]) -> str:
    base = pascal(f.name) if f.enum else SCALARS[f.datatype]
    if key == ("id",) and f.name == "id" and f.datatype == "string" and not f.enum:
        base = "ID"
    return _wrap(base, f.required, f.many)


def _wrap(base: str, required: bool, many: bool) -> str:
    return (f"[{base}!]" if many else base) + ("!" if required else "")


# --- relationships ----------------------------------------------------------------------------


def _relationships(old: Ontology, new: Ontology) -> Iterator[Change]:
    before = {r.type: r for r in old.relationships.values()}
    after = {r.type: r for r in new.relationships.values()}
    for t in sorted(before.keys() | after.keys()):
        a, b = before.get(t), after.get(t)
        if b is None and a is not None:
            yield Change(
                "relationship_removed",
                t,
                f"{a.source} -[{t}]-> {a.target} is no longer in the ontology",
                breaking=True,
                graphql=f"{_rel_fields(a)} removed",
            )
        elif a is None and b is not None:
            yield Change(
                "relationship_added",
                t,
                f"{b.source} -[{t}]-> {b.target}",
                breaking=b.required,
                graphql=f"new {_rel_fields(b)}",
            )
        elif a is not None and b is not None:
            yield from _relationship(t, a, b)


def _relationship(t: str, a: Relationship, b: Relationship) -> Iterator[Change]:
    effect = f"{b.source}.{b.name}: {_gql_rel(a)} -> {_gql_rel(b)}"
    if a.source != b.source:
        yield Change(
            "relationship_source_changed",
            t,
            f"source {a.source} -> {b.source}",
            breaking=True,
            graphql=f"field {b.name} moves from {a.source} to {b.source}",
        )
    if a.target != b.target:
        yield Change(
            "relationship_target_changed",
            t,
            f"target {a.target} -> {b.target}",
            True,
            graphql=effect,
        )
    if a.edge_class != b.edge_class:
        detail = f"properties held by {a.edge_class or 'nothing'} -> {b.edge_class or 'nothing'}"
        yield Change("relationship_edge_changed", t, detail, True, graphql=effect)
    if a.inverse != b.inverse:
        if a.inverse:
            yield Change(
                "inverse_removed",
                t,
                f"owl:inverseOf {a.inverse} removed",
                True,
                graphql=f"field {a.target}.{a.inverse} removed",
            )
        if b.inverse:
            yield Change(
                "inverse_added",
                t,
                f"owl:inverseOf {b.inverse}",
                False,
                graphql=f"new field {b.target}.{b.inverse}",
            )
    yield from _cardinality(t, effect, (a.required, a.many), (b.required, b.many))
    owner = "/".join(_edge_types(b) or _edge_types(a))
    olds = {f.name: f for f in a.properties}
    news = {f.name: f for f in b.properties}
    for name in sorted(olds.keys() | news.keys()):
        yield from _field(
            t, owner, olds.get(name), news.get(name), (), what="relationship_property"
        )


def _rel_fields(rel: Relationship) -> str:
    out = f"field {rel.source}.{rel.name}: {_gql_rel(rel)}"
    return out + (f" and {rel.target}.{rel.inverse}" if rel.inverse else "")


def _gql_rel(rel: Relationship) -> str:
    return _wrap(rel.edge_class or rel.target, rel.required, rel.many)


def _edge_types(rel: Relationship) -> list[str]:
    """The GraphQL edge types of a relationship with properties, as ``ontology.graphql`` names them."""
    if not rel.edge_class:
        return []
    return [rel.edge_class] + ([f"{pascal(rel.inverse)}Edge"] if rel.inverse else [])


# --- constraints and indexes ------------------------------------------------------------------


def _schema(old: Ontology, new: Ontology, rekeyed: set[str]) -> Iterator[Change]:
    """Derived constraints and indexes by name; a changed key's constraint is under ``key_changed``."""
    before = {i.name: i for i in schema_items(old) if not _keyed(i, rekeyed)}
    after = {i.name: i for i in schema_items(new) if not _keyed(i, rekeyed)}
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        item = b or a
        assert item is not None  # noqa: S101 - the name comes from one of the two
        what = "constraint" if item.kind == "unique" else "index"
        if b is None and a is not None:
            yield Change(f"{what}_removed", name, _describe(a), False, (a.drop,))
        elif a is None and b is not None:
            yield Change(f"{what}_added", name, _describe(b), False, (b.statement,))
        elif a is not None and b is not None and a.statement != b.statement:
            yield Change(
                f"{what}_changed",
                name,
                f"{_describe(a)} -> {_describe(b)}",
                False,
                (a.drop, b.statement),
            )


def _keyed(item: SchemaItem, rekeyed: set[str]) -> bool:
    return item.kind == "unique" and item.label in rekeyed


def _describe(item: SchemaItem) -> str:
    return f"{item.kind} on :{item.label}({', '.join(item.properties)})"


__all__ = ["Change", "cypher", "diff"]
