"""Versioned schema migrations, recorded in the graph as ``(:SchemaVersion)`` nodes.

Each node keeps the ontology's Turtle as applied (``ontology``), so the next migration diffs
against what the graph really has, not against whichever file is at hand. The constraints and
indexes to create or drop come from the server (``SHOW CONSTRAINTS``/``SHOW INDEXES``) compared
with the derived ones; only names we derived or recorded are ever dropped. Data is never
changed: a removal that would strand data is reported and needs ``force`` to be recorded.
"""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString, cast

import neo4j

from ontology.diff import Change, diff
from ontology.errors import C360Error, OntologyError
from ontology.model import Ontology, load
from ontology.neo4j_schema import SchemaItem, schema_items

_CREATED = re.compile(
    r"CREATE (?:FULLTEXT )?(?:CONSTRAINT|INDEX) ([A-Za-z_][A-Za-z0-9_]*) "
)
_SERVER_TYPES = {
    "unique": {"UNIQUENESS", "NODE_PROPERTY_UNIQUENESS"},
    "range": {"RANGE"},
    "fulltext": {"FULLTEXT"},
}


class MigrationRefused(C360Error):
    """The migration cannot be applied as asked; the message says what to do."""


@dataclass(frozen=True)
class Recorded:
    """One ``SchemaVersion`` node."""

    version: str
    ontology: str | None
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What ``apply`` would do to bring the graph's schema to ``version``."""

    version: str
    ontology: str  # the Turtle recorded with the version
    previous: str | None  # latest recorded version; None on a graph never migrated
    changes: tuple[Change, ...]  # the ontology diff since ``previous``
    drops: tuple[str, ...]
    creates: tuple[str, ...]
    data_migrations: tuple[str, ...]  # "needs a data migration: ..." lines
    record: bool  # False when this version is already recorded with this ontology
    refusal: str | None  # why it cannot be applied at all

    @property
    def statements(self) -> tuple[str, ...]:
        return self.drops + self.creates

    @property
    def needs_force(self) -> tuple[str, ...]:
        """Dropped constraints and indexes, and stranded data: what ``force`` acknowledges."""
        return self.drops + self.data_migrations

    @property
    def up_to_date(self) -> bool:
        return not self.record and not self.statements and self.refusal is None


def plan(driver: neo4j.Driver, model: Ontology, database: str = "neo4j") -> Plan:
    """Compare the graph (latest SchemaVersion, constraints, indexes, data) with ``model``."""
    try:
        text = model.path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OntologyError(
            f"cannot read ontology {model.path}: {exc.strerror}"
        ) from exc
    history = _history(driver, database)
    latest = history[0] if history else None
    previous = _recorded_model(latest) if latest is not None else None
    record, refusal = True, None
    same = next((h for h in history if h.version == model.version), None)
    if same is not None and same.ontology != text:
        refusal = (
            f"version {model.version} is already recorded with a different ontology: "
            f"bump owl:versionInfo in {model.path}"
        )
    elif same is not None and same is not latest:
        assert latest is not None  # noqa: S101 - ``same`` comes from the history
        refusal = (
            f"version {model.version} was applied before {latest.version}: "
            f"bump owl:versionInfo in {model.path} to migrate back to it"
        )
    elif same is not None:
        record = False
    changes = tuple(diff(previous, model)) if previous is not None else ()
    ours = {s for h in history for s in _created_names(h.statements)}
    if previous is not None:
        ours |= {i.name for i in schema_items(previous)}
    drops, creates = _schema_statements(driver, schema_items(model), ours, database)
    stranded = (
        tuple(_data_migrations(driver, previous, model, changes, database))
        if previous is not None
        else ()
    )
    return Plan(
        version=model.version,
        ontology=text,
        previous=latest.version if latest is not None else None,
        changes=changes,
        drops=drops,
        creates=creates,
        data_migrations=stranded,
        record=record,
        refusal=refusal,
    )


def apply(
    driver: neo4j.Driver, plan: Plan, force: bool = False, database: str = "neo4j"
) -> None:
    """Run the plan's statements and record the version; refuse a destructive plan without force."""
    if plan.refusal is not None:
        raise MigrationRefused(plan.refusal)
    if plan.needs_force and not force:
        raise MigrationRefused(
            "this migration needs --force: " + "; ".join(plan.needs_force)
        )
    for statement in plan.statements:
        _run(driver, statement, database)
    if plan.creates:
        driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    if plan.record:
        driver.execute_query(
            "CREATE (:SchemaVersion {version: $version, at: datetime(), "
            "statements: $statements, ontology: $ontology, actor: $actor})",
            version=plan.version,
            actor=os.environ.get("C360_ACTOR") or getpass.getuser(),
            statements=list(plan.statements),
            ontology=plan.ontology,
            database_=database,
        )


def _history(driver: neo4j.Driver, database: str) -> list[Recorded]:
    records, _, _ = driver.execute_query(
        "MATCH (v:SchemaVersion) RETURN v.version AS version, v.ontology AS ontology, "
        "coalesce(v.statements, []) AS statements ORDER BY v.at DESC",
        database_=database,
    )
    return [
        Recorded(str(r["version"]), r["ontology"], tuple(r["statements"]))
        for r in records
    ]


def _recorded_model(recorded: Recorded) -> Ontology | None:
    """The ontology a SchemaVersion recorded, parsed like any file; None if it kept none."""
    if recorded.ontology is None:
        return None
    with tempfile.TemporaryDirectory(prefix="c360-schema-version-") as folder:
        path = Path(folder) / f"customer360-{recorded.version}.ttl"
        path.write_text(recorded.ontology, encoding="utf-8")
        try:
            return load(path)
        except OntologyError as exc:
            raise MigrationRefused(
                f"the ontology recorded with version {recorded.version} no longer loads: {exc.message}"
            ) from exc


def _created_names(statements: tuple[str, ...]) -> Iterator[str]:
    for statement in statements:
        match = _CREATED.match(statement)
        if match:
            yield match.group(1)


@dataclass(frozen=True)
class _Existing:
    constraint: bool
    type: str
    entity: str
    labels: tuple[str, ...]
    properties: tuple[str, ...]

    def matches(self, item: SchemaItem) -> bool:
        return (
            self.type in _SERVER_TYPES[item.kind]
            and self.entity == "NODE"
            and self.labels == (item.label,)
            and self.properties == item.properties
        )


def _existing(driver: neo4j.Driver, database: str) -> dict[str, _Existing]:
    constraints, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties",
        database_=database,
    )
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint "
        "WHERE owningConstraint IS NULL RETURN name, type, entityType, labelsOrTypes, properties",
        database_=database,
    )
    return {
        r["name"]: _Existing(
            constraint,
            r["type"],
            r["entityType"],
            tuple(r["labelsOrTypes"] or ()),
            tuple(r["properties"] or ()),
        )
        for constraint, rows in ((True, constraints), (False, indexes))
        for r in rows
    }


def _schema_statements(
    driver: neo4j.Driver,
    wanted: tuple[SchemaItem, ...],
    ours: set[str],
    database: str,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(drops, creates): missing items are created, changed ones replaced, stale ones of ours dropped."""
    existing = _existing(driver, database)
    drops: list[str] = []
    creates: list[str] = []
    for item in wanted:
        found = existing.get(item.name)
        if found is not None and not found.matches(item):
            drops.append(_drop(item.name, found))
        if found is None or not found.matches(item):
            creates.append(item.statement)
    stale = (existing.keys() & ours) - {i.name for i in wanted}
    drops += [_drop(name, existing[name]) for name in sorted(stale)]
    return tuple(drops), tuple(creates)


def _drop(name: str, found: _Existing) -> str:
    """``name`` is one we derive or recorded (a plain identifier, see ``_CREATED``)."""
    what = "CONSTRAINT" if found.constraint else "INDEX"
    return f"DROP {what} {name} IF EXISTS"


def _data_migrations(
    driver: neo4j.Driver,
    old: Ontology,
    new: Ontology,
    changes: tuple[Change, ...],
    database: str,
) -> Iterator[str]:
    """Removals that would leave data behind."""
    for change in changes:
        check = _leftover(old, new, change)
        if check is not None:
            query, params, what = check
            count = _count(driver, query, database, **params)
            if count:
                yield f"needs a data migration: {what.format(count=count)}"


def _leftover(
    old: Ontology, new: Ontology, change: Change
) -> tuple[str, dict[str, Any], str] | None:
    """(count query, parameters, message) for a removal; labels and keys come from the models."""
    owner, _, prop = change.subject.partition(".")
    if change.kind == "class_removed":
        label = old.node(owner).name
        return (
            f"MATCH (n:{_q(label)}) RETURN count(n) AS c",
            {},
            (f"{{count}} node(s) labelled {label}, a class the ontology no longer has"),
        )
    if change.kind == "property_removed":
        node = old.node(owner)
        field = node.field(prop)
        assert field is not None  # noqa: S101 - the diff found it in ``old``
        keep = [n.name for n in new.nodes.values() if n.field(field.name) is not None]
        return (
            f"MATCH (n:{_q(node.name)}) WHERE n.{_q(field.name)} IS NOT NULL "
            "AND none(l IN labels(n) WHERE l IN $keep) RETURN count(n) AS c",
            {"keep": keep},
            f"{{count}} {node.name} node(s) still have the removed property {field.name}",
        )
    if change.kind not in {"relationship_removed", "relationship_property_removed"}:
        return None
    rel = old.relationship_by_type(owner)
    assert rel is not None  # noqa: S101 - the diff found it in ``old``
    match = f"MATCH ()-[r:{_q(rel.type)}]->()"
    if not prop:
        return (
            f"{match} RETURN count(r) AS c",
            {},
            (f"{{count}} relationship(s) of the removed type {rel.type}"),
        )
    field = next(f for f in rel.properties if f.name == prop)
    return (
        f"{match} WHERE r.{_q(field.name)} IS NOT NULL RETURN count(r) AS c",
        {},
        f"{{count}} {rel.type} relationship(s) still have the removed property {field.name}",
    )


def _q(name: str) -> str:
    """Backtick-quote a label, type or property name taken from an ontology model."""
    return "`" + name.replace("`", "``") + "`"


def _count(driver: neo4j.Driver, query: str, database: str, **params: Any) -> int:
    records = _run(driver, query, database, **params)
    return int(records[0]["c"])


def _run(
    driver: neo4j.Driver, statement: str, database: str, **params: Any
) -> list[neo4j.Record]:
    """The one place derived Cypher runs: built only from ontology models and recorded names."""
    records, _, _ = driver.execute_query(
        # mypy reads LiteralString as str; the driver's type hints want it said.
        cast(LiteralString, statement),  # type: ignore[redundant-cast]
        params,
        database_=database,
    )
    return records


__all__ = ["MigrationRefused", "Plan", "apply", "plan"]
