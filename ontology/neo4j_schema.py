"""Neo4j schema derived from the ontology: uniqueness constraints, range and full-text indexes.

Community edition has uniqueness constraints and indexes; existence and property-type
constraints are Enterprise-only, so required properties and datatypes are enforced by
``ontology.validate`` before anything is written.

Names are stable and derived (``dealer_code``, ``source_record_key``), so applying the
statements again is a no-op and ``diff``/``migrate`` can tell ours from anybody else's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ontology.model import Ontology


@dataclass(frozen=True)
class SchemaItem:
    """One constraint or index: its name, kind, label, properties and the statement creating it."""

    name: str
    kind: str  # "unique" | "range" | "fulltext"
    label: str
    properties: tuple[str, ...]
    statement: str

    @property
    def drop(self) -> str:
        what = "CONSTRAINT" if self.kind == "unique" else "INDEX"
        return f"DROP {what} {self.name} IF EXISTS"


def snake(name: str) -> str:
    """``SourceRecord`` -> ``source_record``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _q(name: str) -> str:
    """Backtick-quote a label or property name taken from the ontology (never from user input)."""
    return "`" + name.replace("`", "``") + "`"


def schema_items(model: Ontology) -> tuple[SchemaItem, ...]:
    """Every constraint and index the ontology implies, in a stable order."""
    items: list[SchemaItem] = []
    for node in sorted(model.nodes.values(), key=lambda n: n.name):
        if node.key and _owns_key(model, node.name):
            label = node.name
            name = (
                f"{snake(label)}_{snake(node.key[0])}"
                if len(node.key) == 1
                else f"{snake(label)}_key"
            )
            key_props = ", ".join(f"n.{_q(p)}" for p in node.key)
            target = f"({key_props})" if len(node.key) > 1 else key_props
            items.append(
                SchemaItem(
                    name,
                    "unique",
                    label,
                    node.key,
                    f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{_q(label)}) REQUIRE {target} IS UNIQUE",
                )
            )
        for f in node.fields:
            if f.indexed and _declared_on(model, node.name, f.name, "indexed"):
                name = f"{snake(node.name)}_{snake(f.name)}"
                items.append(
                    SchemaItem(
                        name,
                        "range",
                        node.name,
                        (f.name,),
                        f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{_q(node.name)}) ON (n.{_q(f.name)})",
                    )
                )
    fulltext: dict[tuple[str, str], list[str]] = {}
    for node in model.nodes.values():
        for f in node.fields:
            if f.fulltext_index and _declared_on(model, node.name, f.name, "fulltext"):
                fulltext.setdefault((f.fulltext_index, node.name), []).append(f.name)
    for (index, label), props in sorted(fulltext.items()):
        on = ", ".join(f"n.{_q(p)}" for p in sorted(props))
        items.append(
            SchemaItem(
                index,
                "fulltext",
                label,
                tuple(sorted(props)),
                f"CREATE FULLTEXT INDEX {index} IF NOT EXISTS FOR (n:{_q(label)}) ON EACH [{on}] "
                "OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-folding'}}",
            )
        )
    return tuple(items)


def _owns_key(model: Ontology, name: str) -> bool:
    """The constraint goes on the class that declares the key: one ``Touchpoint`` constraint
    covers every kind of touchpoint, since each carries the ``Touchpoint`` label too."""
    node = model.nodes[name]
    return not any(model.nodes[s].key for s in node.superclasses)


def _declared_on(model: Ontology, cls: str, prop: str, what: str) -> bool:
    """An index declared on a superclass shape is created once, on the superclass label."""
    node = model.nodes[cls]
    for sup in node.superclasses:
        f = model.nodes[sup].field(prop)
        if f is not None and (f.indexed if what == "indexed" else f.fulltext_index):
            return False
    return True


def statements(model: Ontology) -> tuple[str, ...]:
    return tuple(item.statement for item in schema_items(model))


__all__ = ["SchemaItem", "schema_items", "snake", "statements"]
