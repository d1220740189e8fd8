"""Record validation compiled from the SHACL shapes: fast enough for every ingest batch.

pySHACL checks an RDF graph; our rows are dicts on their way to Neo4j, and building a graph
per batch costs more than the check (``bench/validate.py`` measures both). So each class's
property shapes are compiled once into plain Python checks with the same meaning: datatype
(with the coercion the loader needs, e.g. ``"2024-06-11"`` -> ``date``), sh:minCount,
sh:maxCount, sh:pattern, sh:in, sh:min/maxInclusive and sh:min/maxLength. A test checks the
verdicts against pySHACL on the same rows.

A row that violates a shape is quarantined with the shape, the property and the value; it is
never dropped silently and never half-written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from ontology.model import Constraint, Field, Ontology

Coerce = Callable[[Any], Any]


@dataclass(frozen=True)
class Violation:
    """Which shape said no, about which property, to which value."""

    shape: str
    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.shape} {self.path}: {self.message}"


class _Invalid(ValueError):
    pass


def _string(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise _Invalid("not a string")


def _integer(v: Any) -> int:
    if isinstance(v, bool):
        raise _Invalid("not an integer")
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()):
        return int(v)
    raise _Invalid("not an integer")


def _number(v: Any) -> float:
    if isinstance(v, bool):
        raise _Invalid("not a number")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(Decimal(v.strip()))
        except InvalidOperation:
            pass
    raise _Invalid("not a number")


def _boolean(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in {"true", "false"}:
        return v.strip().lower() == "true"
    raise _Invalid("not true or false")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        raise _Invalid("a date-time where a date is expected")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise _Invalid("not an ISO 8601 date (YYYY-MM-DD)")


def _datetime(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, str) and "T" in v:
        try:
            return dt.datetime.fromisoformat(v.strip())
        except ValueError:
            pass
    raise _Invalid("not an ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS)")


COERCE: dict[str, Coerce] = {
    "string": _string,
    "integer": _integer,
    "decimal": _number,
    "double": _number,
    "boolean": _boolean,
    "date": _date,
    "dateTime": _datetime,
}


@dataclass(frozen=True)
class _Check:
    """One value-level constraint compiled to a predicate."""

    test: Callable[..., bool]  # lambdas bind their constraint as a default argument
    constraint: Constraint
    message: str


def _value_checks(f: Field) -> list[_Check]:
    checks = []
    for c in f.constraints:
        msg = c.message
        if c.kind == "pattern":
            rx = re.compile(str(c.value))
            checks.append(
                _Check(
                    lambda v, rx=rx: bool(rx.search(str(v))),
                    c,
                    msg or f"does not match {c.value}",
                )
            )
        elif c.kind == "in":
            members = cast("tuple[object, ...]", c.value)
            allowed = frozenset(members)
            shown = ", ".join(map(str, members))
            checks.append(
                _Check(lambda v, a=allowed: v in a, c, msg or f"not one of {shown}")
            )
        elif c.kind == "minInclusive":
            checks.append(
                _Check(lambda v, b=c.value: v >= b, c, msg or f"below {c.value}")
            )
        elif c.kind == "maxInclusive":
            checks.append(
                _Check(lambda v, b=c.value: v <= b, c, msg or f"above {c.value}")
            )
        elif c.kind == "minLength":
            checks.append(
                _Check(
                    lambda v, n=c.value: len(str(v)) >= n,
                    c,
                    msg or f"shorter than {c.value}",
                )
            )
        elif c.kind == "maxLength":
            checks.append(
                _Check(
                    lambda v, n=c.value: len(str(v)) <= n,
                    c,
                    msg or f"longer than {c.value} characters",
                )
            )
    return checks


def _shape_of(f: Field, kind: str, default: str) -> str:
    return next((c.shape for c in f.constraints if c.kind == kind), default)


@dataclass(frozen=True)
class _CompiledField:
    field: Field
    coerce: Coerce
    tests: tuple[tuple[Callable[..., bool], str, str], ...]  # (test, shape, message)
    shape: str
    text: bool  # one xsd:string value: a str is checked as it is, with no coercion


def _compiled(f: Field, default_shape: str) -> _CompiledField:
    return _CompiledField(
        f,
        COERCE[f.datatype],
        tuple((c.test, c.constraint.shape, c.message) for c in _value_checks(f)),
        _shape_of(f, "datatype", default_shape),
        f.datatype == "string" and not f.many,
    )


class Validator:
    """The compiled shapes of one class (a node label or a relationship's edge class)."""

    def __init__(
        self,
        owner: str,
        fields: Iterable[Field],
        relationships: Mapping[str, tuple[bool, bool, str]] = {},
    ) -> None:
        self.owner = owner
        self.default_shape = f"{owner}Shape"
        self.fields = {f.name: _compiled(f, self.default_shape) for f in fields}
        self.required = tuple(
            (name, _shape_of(c.field, "minCount", self.default_shape))
            for name, c in self.fields.items()
            if c.field.required
        )  # (name, shape), checked on every row
        self.relationships = dict(relationships)  # name -> (required, many, shape)

    def check(
        self, props: Mapping[str, Any], links: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[Violation]]:
        """Coerced properties (blanks left out) and every violation found.

        ``links`` gives the row's relationship targets by object-property name (a key value,
        a list of them, or None) so sh:minCount/sh:maxCount on relationships are checked too.
        """
        out: dict[str, Any] = {}
        problems: list[Violation] = []
        fields = self.fields
        for name, raw in props.items():
            compiled = fields.get(name)
            if compiled is None:
                problems.append(
                    Violation(
                        self.default_shape,
                        name,
                        raw,
                        f"{name} is not a property of {self.owner} in the ontology",
                    )
                )
            elif raw is None:  # absent
                continue
            elif compiled.text and type(raw) is str:  # most values: nothing to coerce
                if not raw:
                    continue
                for test, shape, message in compiled.tests:
                    if not test(raw):
                        problems.append(Violation(shape, name, raw, message))
                        break
                else:  # every test passed
                    out[name] = raw
            else:
                value = self._field(compiled, raw, problems)
                if value is not None:
                    out[name] = value
        for name, shape in self.required:
            if name not in out and not any(p.path == name for p in problems):
                problems.append(Violation(shape, name, None, "is required"))
        for name, target in (links or {}).items():
            required, many, shape = self.relationships.get(
                name, (False, True, self.default_shape)
            )
            values = [
                t
                for t in (target if isinstance(target, list | tuple) else [target])
                if t not in (None, "")
            ]
            if required and not values:
                problems.append(Violation(shape, name, None, "is required"))
            if not many and len(values) > 1:
                problems.append(Violation(shape, name, values, "allows one value"))
        return out, problems

    def _field(
        self, compiled: _CompiledField, raw: Any, problems: list[Violation]
    ) -> Any:
        f = compiled.field
        if raw is None or raw == "" or raw == []:
            return None
        items = raw if isinstance(raw, list | tuple) else [raw]
        if not f.many and len(items) > 1:
            problems.append(
                Violation(
                    _shape_of(f, "maxCount", compiled.shape),
                    f.name,
                    raw,
                    "allows one value",
                )
            )
            return None
        coerced = []
        for item in items:
            try:
                value = compiled.coerce(item)
            except _Invalid as exc:
                problems.append(
                    Violation(compiled.shape, f.name, item, f"{exc} (xsd:{f.datatype})")
                )
                return None
            if not _passes(compiled, value, item, problems):
                return None
            coerced.append(value)
        return coerced if f.many else coerced[0]


def _passes(
    compiled: _CompiledField, value: Any, raw: Any, problems: list[Violation]
) -> bool:
    """Whether the coerced ``value`` meets every constraint; the first it fails is
    reported with ``raw``, the value as given."""
    for test, shape, message in compiled.tests:
        if not test(value):
            problems.append(Violation(shape, compiled.field.name, raw, message))
            return False
    return True


def validators(model: Ontology) -> dict[str, Validator]:
    """One validator per node class (by label) and per relationship with properties (by type)."""
    out: dict[str, Validator] = {}
    for node in model.nodes.values():
        rels = {
            r.name: (
                r.required,
                r.many,
                next((c.shape for c in r.constraints), f"{node.name}Shape"),
            )
            for r in model.outgoing(node.name)
        }
        out[node.name] = Validator(node.name, node.fields, rels)
    for rel in model.relationships.values():
        if rel.edge_class:
            out[rel.type] = Validator(rel.edge_class, rel.properties)
    return out


__all__ = ["COERCE", "Validator", "Violation", "validators"]
