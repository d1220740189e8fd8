"""The one place Cypher is built at run time: a GraphQL selection -> one query plus parameters.

Labels, relationship types and property keys come only from the ontology's GraphQL
description (``ontology.graphql``) and are backtick-quoted here; every value a client sends
goes into a parameter. Nested lists are ``COLLECT`` subqueries with a ``LIMIT`` (fan-out cap)
and the GraphQL depth limit bounds nesting, so one request is one bounded round trip.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, LiteralString, cast

from graph.scope import ADMIN, Scope
from ontology.errors import C360Error
from ontology.graphql import GqlRelationField, GqlScalarField, GqlSchema, GqlType
from ontology.validate import COERCE

NESTED_DEFAULT, NESTED_MAX = 50, 500
KIND = "__kind"  # the concrete type of a node read through an interface
PAGE_DEFAULT, PAGE_MAX = 20, 100
CONNECTION = "Connection"  # ``hadConnection`` pages the ``had`` list
EXPLANATIONS = "explanations"  # a type's computed values and their inputs (api.explain)

_DATATYPE_OF_SCALAR = {
    "ID": "string",
    "String": "string",
    "Int": "integer",
    "Float": "double",
    "Boolean": "boolean",
    "Date": "date",
    "DateTime": "dateTime",
}
_OPS = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


class QueryError(C360Error):
    """The request asks for something the API does not allow; shown to the client as is."""

    exit_code = 2


@dataclass(frozen=True)
class Selection:
    """One selected field: name, response key (alias or name), arguments, sub-selections."""

    name: str
    key: str
    args: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Selection, ...] = ()


def q(name: str) -> str:
    """Backtick-quote a label, type or key that comes from the ontology."""
    return "`" + name.replace("`", "``") + "`"


class _Builder:
    def __init__(self, schema: GqlSchema, scope: Scope | None) -> None:
        self.schema = schema
        self.scope = scope or ADMIN
        self.params: dict[str, Any] = dict(self.scope.params)
        self._n = 0

    def visible(self, type_: GqlType, var: str, keyword: str = " AND ") -> str:
        """``keyword`` + the scope's condition on node ``var`` ("" when there is none)."""
        test = self.scope.predicate(self.schema, type_, var, self.var("scope_p"))
        return f"{keyword}{test}" if test else ""

    def root(self, type_: GqlType) -> None:
        """Refuse, with a message, a root read of a type the role never reads."""
        if not self.scope.readable(type_):
            raise QueryError(f"the {self.scope.role} role may not read {type_.name}")

    def clear(self, type_: GqlType, scalar: GqlScalarField, what: str) -> None:
        """Refuse to filter or sort on a field the role sees pseudonymised: the
        condition would tell its value."""
        if scalar.pii and not self.scope.shows(scalar.purposes):
            raise QueryError(
                f"{type_.name}.{scalar.name} is pseudonymised for the {self.scope.role} "
                f"role; it cannot be {what}"
            )

    def param(self, value: Any) -> str:
        self._n += 1
        name = f"p{self._n}"
        self.params[name] = value
        return f"${name}"

    def var(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    # -- projections -------------------------------------------------------------------------

    def node(self, type_: GqlType, var: str, selections: tuple[Selection, ...]) -> str:
        entries = []
        if (
            type_.interface
        ):  # which concrete type each node is, for GraphQL's resolve_type
            kinds = self.param(list(type_.concrete))
            entries.append(f"{q(KIND)}: head([l IN labels({var}) WHERE l IN {kinds}])")
        for sel in _merge(selections):  # fragments on several types may repeat a key
            if sel.name.startswith("__"):
                continue
            scalar = self.schema.scalar(type_, sel.name)
            if scalar is not None:
                entries.append(f"{q(sel.key)}: {var}.{q(scalar.name)}")
                continue
            if sel.name == EXPLANATIONS and type_.computed:
                # the computed values and their inputs, for api.explain to shape
                names = {x.name for x in type_.computed}
                names |= {i for x in type_.computed for i in x.derived_from or ()}
                inner = ", ".join(f"{q(n)}: {var}.{q(n)}" for n in sorted(names))
                entries.append(f"{q(sel.key)}: {{{inner}}}")
                continue
            rel = self.schema.relation(type_, sel.name)
            page = rel is None and sel.name.endswith(CONNECTION)
            if page:  # ``hadConnection``: a Relay page of the ``had`` list
                rel = self.schema.relation(type_, sel.name.removesuffix(CONNECTION))
            if rel is None or (page and not rel.many):
                raise QueryError(f"{type_.name} has no field {sel.name}")
            entries.append(f"{q(sel.key)}: {self.relation(rel, var, sel, page)}")
        return f"{var} {{{', '.join(entries)}}}" if entries else f"{var} {{}}"

    def relation(
        self, rel: GqlRelationField, var: str, sel: Selection, page: bool = False
    ) -> str:
        """A nested list (``COLLECT`` with a fan-out cap), or with ``page`` one page of it
        with its total: ``{total, items, offset, first}`` for the resolver to shape."""
        other = self.schema.type(rel.node_type)
        m, e = self.var("n"), self.var("e")
        arrow = (
            f"({var})-[{e}:{q(rel.rel_type)}]->({m}:{q(other.label or other.name)})"
            if rel.direction == "out"
            else f"({var})<-[{e}:{q(rel.rel_type)}]-({m}:{q(other.label or other.name)})"
        )
        where = self.where(other, m, sel.args.get("where"))
        scoped = self.visible(other, m, " AND " if where else " WHERE ")
        where += scoped
        if sel.args.get("activeOn") is not None:
            edge_type = self.schema.type(rel.edge_type) if rel.edge_type else None
            if edge_type is None or not {"since", "until"} <= {
                x.name for x in edge_type.scalars
            }:
                raise QueryError(f"{rel.name} has no since and until to date it")
            day = self.param(_as_date(sel.args["activeOn"]))
            since, until = f"{e}.{q('since')}", f"{e}.{q('until')}"
            test = f"{since} <= {day} AND ({until} IS NULL OR {until} > {day})"
            where = f"{where} AND {test}" if where else f" WHERE {test}"
        if sel.args.get("current") is not None:
            if (
                not rel.edge_type
                or _scalar(self.schema.type(rel.edge_type), "until") is None
            ):
                raise QueryError(f"{rel.name} has no until to tell current from past")
            until = f"{e}.{q('until')}"
            test = (
                f"({until} IS NULL OR {until} > date())"
                if sel.args["current"]
                else f"{until} <= date()"
            )
            where = f"{where} AND {test}" if where else f" WHERE {test}"
        children = _page_nodes(sel) if page else sel.children
        if rel.edge_type:
            edge = self.schema.type(rel.edge_type)
            parts = []
            for child in children:
                if child.name.startswith("__"):
                    continue
                if child.name == "node":
                    parts.append(
                        f"{q(child.key)}: {self.node(other, m, child.children)}"
                    )
                    continue
                scalar = _scalar(edge, child.name)
                if scalar is None:
                    raise QueryError(f"{edge.name} has no field {child.name}")
                parts.append(f"{q(child.key)}: {e}.{q(scalar.name)}")
            item = "{" + ", ".join(parts) + "}"
        else:
            item = self.node(other, m, children)
        order = _order_key(other, m)
        if page:
            order = order or f" ORDER BY elementId({m})"  # pages need a total order
            offset, first = page_bounds(sel)
            skip, size = self.param(offset), self.param(first)
            return (  # one more than the page tells whether a next page exists
                f"{{total: COUNT {{ MATCH {arrow}{where} }}, "
                f"items: COLLECT {{ MATCH {arrow}{where} RETURN {item} AS x{order} "
                f"SKIP {skip} LIMIT {size} + 1 }}, offset: {skip}, first: {size}}}"
            )
        limit = self.param(
            _bounded(sel.args.get("first"), NESTED_DEFAULT, NESTED_MAX, "first")
            if rel.many
            else 1
        )
        sub = f"COLLECT {{ MATCH {arrow}{where} RETURN {item} AS x{order} LIMIT {limit} }}"
        return sub if rel.many else f"head({sub})"

    # -- filters and sorting -----------------------------------------------------------------

    def where(
        self, type_: GqlType, var: str, where: Any, keyword: str = " WHERE "
    ) -> str:
        if not where:
            return ""
        terms = []
        for name, ops in dict(where).items():
            scalar = _scalar(type_, name)
            if scalar is None or not isinstance(ops, Mapping):
                raise QueryError(f"{type_.name} cannot be filtered on {name}")
            self.clear(type_, scalar, "filtered on")
            for op, value in ops.items():
                if value is None:
                    continue
                prop = f"{var}.{q(scalar.name)}"
                if op == "in":
                    terms.append(
                        f"{prop} IN {self.param([_value(scalar, v) for v in value])}"
                    )
                elif op == "contains":
                    terms.append(f"{prop} CONTAINS {self.param(str(value))}")
                elif op == "startsWith":
                    terms.append(f"{prop} STARTS WITH {self.param(str(value))}")
                elif op == "includes" and scalar.many:
                    terms.append(f"{self.param(_value(scalar, value))} IN {prop}")
                elif op in _OPS:
                    terms.append(
                        f"{prop} {_OPS[op]} {self.param(_value(scalar, value))}"
                    )
                else:
                    raise QueryError(f"unknown filter {op} on {type_.name}.{name}")
        return keyword + " AND ".join(terms) if terms else ""

    def order(self, type_: GqlType, var: str, order_by: Any) -> str:
        keys = []
        for item in order_by or ():
            for name, direction in dict(item).items():
                scalar = _scalar(type_, name)
                if scalar is None or scalar.many:
                    raise QueryError(f"{type_.name} cannot be sorted on {name}")
                self.clear(type_, scalar, "sorted on")
                keys.append(
                    f"{var}.{q(scalar.name)} {'DESC' if str(direction).upper() == 'DESC' else 'ASC'}"
                )
        tie = _order_key(type_, var).removeprefix(" ORDER BY ")
        keys += [tie] if tie else [f"elementId({var})"]
        return " ORDER BY " + ", ".join(keys)


def _scalar(type_: GqlType, name: str) -> GqlScalarField | None:
    return next((s for s in type_.scalars if s.name == name), None)


def _order_key(type_: GqlType, var: str) -> str:
    """Stable order for lists: the type's ``c360:orderBy`` (a journey in time), then its
    key (``owl:hasKey``); none without either."""
    keys = [*type_.order, *(k for k in type_.key if k not in type_.order)]
    if not keys:
        return ""
    return " ORDER BY " + ", ".join(f"{var}.{q(k)}" for k in keys)


def _value(scalar: GqlScalarField, value: Any) -> Any:
    """A filter value in the stored form: enum names -> stored strings, dates -> dates."""
    if scalar.enum is not None:
        by_name = dict(scalar.enum.values)
        if isinstance(value, str) and value in by_name:
            return by_name[value]
        return getattr(value, "value", value)
    try:
        return COERCE[_DATATYPE_OF_SCALAR[scalar.scalar]](value)
    except ValueError as exc:
        raise QueryError(f"{scalar.name}: {exc}") from exc


def _as_date(value: Any) -> dt.date:
    try:
        return (
            value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        )
    except ValueError:
        raise QueryError(f"activeOn: {value!r} is not a date") from None


def _bounded(value: Any, default: int, maximum: int, what: str) -> int:
    if value is None:
        return default
    number = int(value)
    if not 0 <= number <= maximum:
        raise QueryError(f"{what} must be between 0 and {maximum}")
    return number


# -- entry points -----------------------------------------------------------------------------


def compile_lookup(
    schema: GqlSchema,
    type_name: str,
    key: str,
    value: Any,
    sel: Selection,
    scope: Scope | None = None,
) -> tuple[LiteralString, dict[str, Any]]:
    """``dealer(code: "IT-003") { ... }`` -> one query returning ``node`` or no row
    (no row, too, when the node is outside ``scope``)."""
    b = _Builder(schema, scope)
    type_ = schema.type(type_name)
    b.root(type_)
    scalar = _scalar(type_, key)
    assert scalar is not None  # noqa: S101 - the description only offers lookups on key fields
    p = b.param(_value(scalar, value))
    text = (
        f"MATCH (n:{q(type_.label or type_name)} {{{q(key)}: {p}}})"
        f"{b.visible(type_, 'n', ' WHERE ')} "
        f"RETURN {b.node(type_, 'n', sel.children)} AS node LIMIT 1"
    )
    return cast(LiteralString, text), b.params  # type: ignore[redundant-cast]  # mypy treats LiteralString as str


def compile_nodes(
    schema: GqlSchema,
    type_name: str,
    match: str,
    sel_children: tuple[Selection, ...],
    params: dict[str, Any],
    scope: Scope | None = None,
) -> tuple[LiteralString, dict[str, Any]]:
    """Project the nodes a fixed, hand-written ``match`` (yielding ``n``, ordered) returns,
    those outside ``scope`` left out."""
    b = _Builder(schema, scope)
    b.params.update(params)
    type_ = schema.type(type_name)
    b.root(type_)
    test = b.visible(type_, "n", " WITH n WHERE ")
    text = f"{match}{test} RETURN {b.node(type_, 'n', sel_children)} AS node"
    return cast(LiteralString, text), b.params  # type: ignore[redundant-cast]  # mypy treats LiteralString as str


def compile_connection(
    schema: GqlSchema, type_name: str, sel: Selection, scope: Scope | None = None
) -> tuple[LiteralString, dict[str, Any], int, int]:
    """``dealers(where, orderBy, first, after) { totalCount pageInfo edges { cursor node } }``,
    counting and paging only the nodes inside ``scope``.

    Returns the query, its parameters, the page's offset and its size (``first``)."""
    b = _Builder(schema, scope)
    type_ = schema.type(type_name)
    b.root(type_)
    label = q(type_.label or type_name)
    offset, first = page_bounds(sel)
    where = b.where(type_, "n", sel.args.get("where"))
    where += b.visible(type_, "n", " AND " if where else " WHERE ")
    order = b.order(type_, "n", sel.args.get("orderBy"))
    skip, limit = (
        b.param(offset),
        b.param(first + 1),
    )  # one more tells whether a next page exists
    text = (
        f"CALL () {{ MATCH (n:{label}){where} RETURN count(n) AS total }} "
        f"CALL () {{ MATCH (n:{label}){where} WITH n{order} SKIP {skip} LIMIT {limit} "
        f"RETURN collect({b.node(type_, 'n', _page_nodes(sel))}) AS nodes }} "
        "RETURN total, nodes"
    )
    return cast(LiteralString, text), b.params, offset, first  # type: ignore[redundant-cast]  # mypy treats LiteralString as str


def compile_page(
    schema: GqlSchema,
    type_name: str,
    match: LiteralString,
    sel: Selection,
    params: dict[str, Any],
    scope: Scope | None = None,
) -> tuple[LiteralString, dict[str, Any], int, int]:
    """A Relay page (``first``/``after``) of the nodes ``n`` a hand-written ``match`` finds,
    inside ``scope``, in the type's stable order; the query returns ``nodes`` (one more
    than the page)."""
    b = _Builder(schema, scope)
    b.params.update(params)
    type_ = schema.type(type_name)
    b.root(type_)
    offset, first = page_bounds(sel)
    order = b.order(type_, "n", None)
    skip, limit = b.param(offset), b.param(first + 1)
    test = b.visible(type_, "n", " WITH n WHERE ")
    text = (
        f"{match}{test} WITH n{order} SKIP {skip} LIMIT {limit} "
        f"RETURN collect({b.node(type_, 'n', _page_nodes(sel))}) AS nodes"
    )
    return cast(LiteralString, text), b.params, offset, first  # type: ignore[redundant-cast]  # mypy treats LiteralString as str


def page_bounds(sel: Selection) -> tuple[int, int]:
    """(offset, first) of a connection field's ``after`` and ``first``, both checked."""
    first = _bounded(sel.args.get("first"), PAGE_DEFAULT, PAGE_MAX, "first")
    offset = decode_cursor(sel.args.get("after")) + 1 if sel.args.get("after") else 0
    return offset, first


def _page_nodes(sel: Selection) -> tuple[Selection, ...]:
    """What a connection's ``edges { node }`` and ``nodes`` select, merged."""
    node_sel: tuple[Selection, ...] = ()
    for child in sel.children:
        if child.name == "edges":
            node_sel += tuple(
                s for c in child.children if c.name == "node" for s in c.children
            )
        elif child.name == "nodes":
            node_sel += child.children
    return _merge(node_sel)


def _merge(selections: tuple[Selection, ...]) -> tuple[Selection, ...]:
    """``edges { node { a } }`` and ``nodes { b }`` read the same projection: keep one of each key."""
    seen: dict[str, Selection] = {}
    for s in selections:
        seen.setdefault(s.key, s)
    return tuple(seen.values())


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: Any) -> int:
    try:
        kind, _, number = (
            base64.b64decode(str(cursor), validate=True).decode().partition(":")
        )
        if kind == "offset" and number.isdigit():
            return int(number)
    except ValueError:
        pass
    raise QueryError("after is not a cursor this API returned")


__all__ = [
    "QueryError",
    "Selection",
    "compile_connection",
    "compile_lookup",
    "compile_nodes",
    "compile_page",
    "encode_cursor",
]
