"""The GraphQL schema, built at start-up from the ontology (``ontology.graphql.describe``).

No type here is written by hand: object types, edge types, enums, ``where`` and ``orderBy``
inputs and Relay-style connections all come from ``ontology/customer360.ttl`` (or the file
``C360_ONTOLOGY`` names). Each root field compiles the request's selection into one Cypher
query (``graph.compile``); child fields only read that query's result, by response key.
The domain queries (``customer``, ``searchCustomers``) sit on top of the derived types.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import logging
from collections.abc import Callable, Iterable
from typing import Any, Optional, cast

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext, Info
from strawberry.types.nodes import SelectedField
from strawberry.utils.logging import StrawberryLogger

from api import explain
from api.access import DOMAIN, guard, mask_of, scope_of
from api.connections import connection_queries
from api.consent import consent_queries
from api.execute import UserError, native, run_read
from api.journeys import journey_queries
from api.kpis import kpi_queries
from api.prepared import prepared_queries
from api.privacy import privacy_mutations
from api.referrals import referral_queries
from api.segments import segment_queries
from graph import compile as cq
from graph import segment_compile
from graph.cypher import customer as cypher
from graph.segment_compile import Segment
from linkage.normalise.emails import normalise_email
from linkage.normalise.phones import normalise_phone
from ontology.graphql import (
    GqlRelationField,
    GqlRoot,
    GqlScalarField,
    GqlSchema,
    GqlType,
    describe,
)
from ontology.model import Ontology

MAX_SEARCH = 50
log = logging.getLogger("c360.api")


@strawberry.enum(description="Sort direction.")
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def _filter(name: str, scalar: Any, ordered: bool, text: bool) -> Any:
    fields: dict[str, Any] = {"eq": scalar, "in": list[scalar]}
    if ordered:
        fields |= {"gt": scalar, "gte": scalar, "lt": scalar, "lte": scalar}
    if text:
        fields |= {"contains": str, "startsWith": str}
    cls = type(name, (), {})
    for key, kind in fields.items():
        setattr(
            cls,
            f"f_{key}",
            strawberry.field(
                name=key, graphql_type=Optional[kind], default=strawberry.UNSET
            ),
        )
    return strawberry.input(
        cls,
        name=name,
        description=f"Conditions on one {name.removesuffix('Filter')} value; all that are given must hold.",
    )


SCALARS: dict[str, Any] = {
    "ID": strawberry.ID,
    "String": str,
    "Int": int,
    "Float": float,
    "Boolean": bool,
    "Date": dt.date,
    "DateTime": dt.datetime,
}
FILTERS: dict[str, Any] = {
    "ID": _filter("IDFilter", strawberry.ID, False, False),
    "String": _filter("StringFilter", str, False, True),
    "Int": _filter("IntFilter", int, True, False),
    "Float": _filter("FloatFilter", float, True, False),
    "Boolean": _filter("BooleanFilter", bool, False, False),
    "Date": _filter("DateFilter", dt.date, True, False),
    "DateTime": _filter("DateTimeFilter", dt.datetime, True, False),
}


@strawberry.input(description="Conditions on a list of strings.")
class StringListFilter:
    includes: str | None = strawberry.UNSET


def _reader(
    scalar: GqlScalarField | None, enum_cls: type[enum.Enum] | None
) -> Callable[..., Any]:
    many = scalar.many if scalar else False
    pii = scalar.purposes if scalar and scalar.pii else None

    def resolve(root: Any, info: Info) -> Any:
        value = root.get(info.path.key) if isinstance(root, dict) else None
        value = [native(v) for v in value or []] if many else native(value)
        if pii is not None and not scope_of(info).shows(pii):
            mask = mask_of(info)  # personal data this role reads pseudonymised
            value = [mask(v) for v in value] if many else mask(value)
        if enum_cls is not None:
            if many:
                return [enum_cls(v) for v in value if v in enum_cls._value2member_map_]
            return enum_cls(value) if value in enum_cls._value2member_map_ else None
        return value

    return resolve


def _with_args(
    resolve: Callable[..., Any], args: dict[str, tuple[Any, Any]]
) -> Callable[..., Any]:
    """A resolver whose signature declares ``args`` (name -> (type, default)) for the schema."""

    def wrapper(root: Any, info: Info, **kwargs: Any) -> Any:
        return resolve(root, info)

    params = [
        inspect.Parameter(
            "root", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Any
        ),
        inspect.Parameter(
            "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info
        ),
    ] + [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=t, default=d)
        for n, (t, d) in args.items()
    ]
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


class _Builder:
    """Strawberry classes for one ontology: created bare, wired, then decorated (types refer to each other)."""

    def __init__(self, gql: GqlSchema) -> None:
        self.gql = gql
        self.enums = {
            e.name: strawberry.enum(
                cast("type[enum.Enum]", enum.Enum(e.name, {n: v for n, v in e.values})),
                name=e.name,
                description=e.description,
            )
            for e in gql.enums.values()
        }
        # Interfaces (abstract classes) first: the types below them are their subclasses.
        self.objects: dict[str, type] = {
            name: type(name, (), {}) for name, t in gql.types.items() if t.interface
        }
        for name, t in gql.types.items():
            if not t.interface:
                bases = tuple(self.objects[i] for i in t.implements)
                self.objects[name] = type(name, bases, {})
        self.wheres: dict[str, type] = {}
        self.sorts: dict[str, type] = {}
        self.connections: dict[str, type] = {}
        self.enum_filters: dict[str, type] = {}

    def scalar_type(self, s: GqlScalarField) -> Any:
        return self.enums[s.scalar] if s.enum else SCALARS[s.scalar]

    def build(self) -> None:
        for t in self.gql.types.values():
            if t.label is not None:
                self._where(t)
                self._sort(t)
        for name, t in self.gql.types.items():
            cls = self.objects[name]
            for s in t.scalars:
                kind = self.scalar_type(s)
                gtype = (
                    list[kind] if s.many else (kind if s.required else Optional[kind])  # type: ignore[valid-type]  # runtime type
                )
                enum_cls = self.enums[s.scalar] if s.enum else None
                setattr(
                    cls,
                    f"f_{s.name}",
                    strawberry.field(
                        name=s.name,
                        resolver=_reader(s, enum_cls),
                        graphql_type=gtype,
                        description=_desc(s),
                    ),
                )
            if t.computed:
                cls.f_explanations = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
                    name=explain.FIELD,
                    resolver=explain.resolver(t),
                    graphql_type=list[explain.Explanation],
                    description="The values the service computed for this "
                    f"{t.name} (machine-generated), each with its inputs and how",
                )
            if t.edge_node is not None:
                node = self.objects[t.edge_node]
                cls.f_node = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
                    name="node",
                    resolver=_reader(None, None),
                    graphql_type=node,
                    description="The node at the other end.",
                )
            for r in t.relations:
                target = self.objects[r.edge_type or r.node_type]
                args: dict[str, tuple[Any, Any]] = {
                    "where": (Optional[self.wheres[r.node_type]], strawberry.UNSET)
                }
                args |= self._dated(r)
                if r.many:
                    args["first"] = (Optional[int], strawberry.UNSET)
                    gtype = list[target]  # type: ignore[valid-type]
                else:
                    gtype = target if r.required else Optional[target]
                setattr(
                    cls,
                    f"f_{r.name}",
                    strawberry.field(
                        name=r.name,
                        resolver=_with_args(_reader(None, None), args),
                        graphql_type=gtype,
                        description=f"{r.description} ({_arrow(r.direction, r.rel_type)})"
                        + (
                            "; current: true keeps those not ended (no until, or a later "
                            "one), false the ended ones; activeOn: those that held on that day"
                            if "current" in args
                            else ""
                        ),
                    ),
                )
                if r.many:
                    self._page_field(cls, r)
        for name, cls in self.objects.items():  # interfaces come first
            t = self.gql.types[name]
            if t.interface:
                cls.resolve_type = staticmethod(_concrete_type)  # type: ignore[attr-defined]  # class built at run time
                strawberry.interface(cls, name=name, description=t.description)
            else:
                if t.implements:  # a dict result is this type unless it says otherwise
                    cls.is_type_of = staticmethod(_is_type(name))  # type: ignore[attr-defined]  # class built at run time
                strawberry.type(cls, name=name, description=t.description)
        for root in self.gql.roots:
            self.connection(root.type)

    def _dated(self, r: GqlRelationField) -> dict[str, tuple[Any, Any]]:
        """``current`` for relationships that end (``until``), ``activeOn`` for those that
        also start (``since``): memberships as of now, or as of a day."""
        names = (
            {s.name for s in self.gql.types[r.edge_type].scalars}
            if r.edge_type
            else set()
        )
        args: dict[str, tuple[Any, Any]] = {}
        if "until" in names:
            args["current"] = (Optional[bool], strawberry.UNSET)
            if "since" in names:
                args["activeOn"] = (Optional[dt.date], strawberry.UNSET)
        return args

    def _page_field(self, cls: type, r: GqlRelationField) -> None:
        """``hadConnection(where, first, after)``: the ``had`` list as a Relay page with its
        totalCount, read from the query of the root field like every other field."""
        args: dict[str, tuple[Any, Any]] = {
            "where": (Optional[self.wheres[r.node_type]], strawberry.UNSET),
            "first": (Optional[int], strawberry.UNSET),
            "after": (Optional[str], strawberry.UNSET),
        }
        args |= self._dated(r)
        field = strawberry.field(
            name=f"{r.name}{cq.CONNECTION}",
            resolver=_with_args(_page_reader, args),
            graphql_type=self.connection(r.edge_type or r.node_type),
            description=f"{r.description}, as a Relay page (first <= {cq.PAGE_MAX}, after) "
            "with its totalCount",
        )
        setattr(cls, f"f_{r.name}{cq.CONNECTION}", field)

    def _where(self, t: GqlType) -> None:
        cls = type(f"{t.name}Where", (), {})
        for s in t.scalars:
            kind = (
                StringListFilter
                if s.many
                else (self._enum_filter(s) if s.enum else FILTERS[s.scalar])
            )
            setattr(
                cls,
                f"f_{s.name}",
                strawberry.field(
                    name=s.name, graphql_type=Optional[kind], default=strawberry.UNSET
                ),
            )
        self.wheres[t.name] = strawberry.input(
            cls,
            name=f"{t.name}Where",
            description=f"Filter on {t.name} fields; all given conditions must hold.",
        )

    def _enum_filter(self, s: GqlScalarField) -> Any:
        name = f"{s.scalar}Filter"
        if name not in self.enum_filters:
            kind = self.enums[s.scalar]
            cls = type(name, (), {})
            cls.f_eq = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
                name="eq", graphql_type=Optional[kind], default=strawberry.UNSET
            )
            cls.f_in = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
                name="in",
                graphql_type=Optional[list[kind]],  # type: ignore[valid-type]  # runtime type
                default=strawberry.UNSET,
            )
            self.enum_filters[name] = strawberry.input(cls, name=name)
        return self.enum_filters[name]

    def _sort(self, t: GqlType) -> None:
        cls = type(f"{t.name}Sort", (), {})
        for s in t.scalars:
            if not s.many:
                setattr(
                    cls,
                    f"f_{s.name}",
                    strawberry.field(
                        name=s.name,
                        graphql_type=Optional[SortDirection],
                        default=strawberry.UNSET,
                    ),
                )
        self.sorts[t.name] = strawberry.input(
            cls,
            name=f"{t.name}Sort",
            description=f"Sort {t.name} by one field per entry.",
        )

    def connection(self, name: str) -> type:
        """The Relay connection type of ``name`` (a node or edge type), made once."""
        if name not in self.connections:
            self._connection(name)
        return self.connections[name]

    def _connection(self, name: str) -> None:
        node = self.objects[name]
        edge = type(f"{name}ConnectionEdge", (), {})
        edge.cursor = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="cursor", resolver=_reader(None, None), graphql_type=str
        )
        edge.node = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="node", resolver=_reader(None, None), graphql_type=node
        )
        edge = strawberry.type(edge, name=f"{name}ConnectionEdge")
        conn = type(f"{name}Connection", (), {})
        conn.totalCount = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="totalCount", resolver=_reader(None, None), graphql_type=int
        )
        conn.pageInfo = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="pageInfo", resolver=_reader(None, None), graphql_type=PageInfo
        )
        conn.edges = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="edges",
            resolver=_reader(None, None),
            graphql_type=list[edge],  # type: ignore[valid-type]  # runtime type
        )
        conn.nodes = strawberry.field(  # type: ignore[attr-defined]  # class built at run time
            name="nodes",
            resolver=_reader(None, None),
            graphql_type=list[node],  # type: ignore[valid-type]  # runtime type
        )
        self.connections[name] = strawberry.type(
            conn,
            name=f"{name}Connection",
            description=f"A page of {name} items.",
        )


def _page_reader(root: Any, info: Info) -> Any:
    """A nested Relay page: the query returned ``{total, items, offset, first}``."""
    value = root.get(info.path.key) if isinstance(root, dict) else None
    if value is None:
        return None
    sel = _selection(cast(SelectedField, info.selected_fields[0]))
    items = [dict(i) for i in value["items"]]
    return _connection_result(
        sel, value["total"], items, value["offset"], value["first"]
    )


def _concrete_type(root: Any, info: Any, abstract_type: Any) -> str | None:
    """The GraphQL type of a node read through an interface: the query projected it."""
    return root.get(cq.KIND) if isinstance(root, dict) else None


def _is_type(name: str) -> Callable[[Any, Any], bool]:
    def is_type_of(root: Any, info: Any) -> bool:
        return isinstance(root, dict) and root.get(cq.KIND, name) == name

    return is_type_of


def _desc(s: GqlScalarField) -> str:
    notes = ["personal data"] if s.pii else []
    if s.derived_from is not None:
        notes.append(f"machine-generated; see {explain.FIELD}")
    return f"{s.description} ({'; '.join(notes)})" if notes else s.description


def _arrow(direction: str, rel_type: str) -> str:
    return f"-[:{rel_type}]->" if direction == "out" else f"<-[:{rel_type}]-"


# -- selections and results ------------------------------------------------------------------


def _selection(field: SelectedField) -> cq.Selection:
    return cq.Selection(
        field.name,
        field.alias or field.name,
        dict(field.arguments),
        tuple(_children(field.selections)),
    )


def _children(items: Iterable[Any]) -> Iterable[cq.Selection]:
    for item in items:
        if isinstance(item, SelectedField):
            yield _selection(item)
        else:  # fragment spread or inline fragment: its fields belong to this level
            yield from _children(item.selections)


def _connection_result(
    sel: cq.Selection, total: int, nodes: list[Any], offset: int, first: int
) -> dict[str, Any]:
    page = nodes[:first]
    out: dict[str, Any] = {}
    for child in sel.children:
        if child.name == "totalCount":
            out[child.key] = total
        elif child.name == "nodes":
            out[child.key] = page
        elif child.name == "edges":
            out[child.key] = [
                {
                    c.key: (cq.encode_cursor(offset + i) if c.name == "cursor" else n)
                    for c in child.children
                    if c.name in {"cursor", "node"}
                }
                for i, n in enumerate(page)
            ]
        elif child.name == "pageInfo":
            end = cq.encode_cursor(offset + len(page) - 1) if page else None
            out[child.key] = PageInfo(has_next_page=len(nodes) > first, end_cursor=end)
    return out


def _lookup_resolver(gql: GqlSchema, root: GqlRoot, node: type) -> Callable[..., Any]:
    assert root.key is not None  # noqa: S101 - only roots with a key get a lookup
    key = root.key.name

    async def resolve(info: Info, **kwargs: Any) -> Any:
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params = cq.compile_lookup(
            gql, root.type, key, kwargs[key], sel, scope_of(info)
        )
        records = await run_read(info, query, params)
        return dict(records[0]["node"]) if records else None

    params = [
        inspect.Parameter(
            "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info
        ),
        inspect.Parameter(
            key,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=SCALARS[root.key.scalar] if not root.key.enum else str,
        ),
    ]
    resolve.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    resolve.__annotations__ = {p.name: p.annotation for p in params}
    return resolve


def _connection_resolver(
    gql: GqlSchema, root: GqlRoot, builder: _Builder
) -> Callable[..., Any]:
    async def resolve(info: Info, **kwargs: Any) -> Any:
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params, offset, first = cq.compile_connection(
            gql, root.type, sel, scope_of(info)
        )
        records = await run_read(info, query, params)
        return _connection_result(
            sel,
            records[0]["total"],
            [dict(n) for n in records[0]["nodes"]],
            offset,
            first,
        )

    args = {
        "where": Optional[builder.wheres[root.type]],
        "orderBy": Optional[list[builder.sorts[root.type]]],  # type: ignore[name-defined]
        "first": Optional[int],
        "after": Optional[str],
    }
    params = [
        inspect.Parameter(
            "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info
        )
    ] + [
        inspect.Parameter(
            n, inspect.Parameter.KEYWORD_ONLY, annotation=t, default=strawberry.UNSET
        )
        for n, t in args.items()
    ]
    resolve.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    resolve.__annotations__ = {p.name: p.annotation for p in params}
    return resolve


def build_schema(
    model: Ontology, segment_definitions: tuple[Segment, ...] | None = None
) -> strawberry.Schema:
    """The whole schema for ``model``: derived types and roots plus the domain queries.
    Segments are ``$C360_SEGMENTS`` or graph/segments.toml unless given."""
    gql = describe(model)
    b = _Builder(gql)
    b.build()
    fields: dict[str, Any] = {}
    for root in gql.roots:
        node = b.objects[root.type]
        if root.lookup:
            fields[root.lookup] = strawberry.field(
                name=root.lookup,
                resolver=_lookup_resolver(gql, root, node),
                graphql_type=Optional[node],
                description=f"The {root.type} with this {root.key.name if root.key else 'key'}, or null.",
            )
        fields[root.list_field] = strawberry.field(
            name=root.list_field,
            resolver=_connection_resolver(gql, root, b),
            graphql_type=b.connections[root.type],
            description=f"{root.type} nodes, filtered, sorted and paginated (Relay connection).",
        )
    fields |= _domain_queries(gql, b.objects["Person"]) if "Person" in b.objects else {}
    fields |= kpi_queries()
    fields |= connection_queries()
    fields |= journey_queries(model)
    if "Person" in b.objects:
        fields |= referral_queries(gql, b.objects["Person"], _selection)
    if "Segment" in model.nodes and "Person" in b.connections:
        definitions = (
            segment_compile.load(None, model)
            if segment_definitions is None
            else segment_definitions
        )
        fields |= segment_queries(
            gql, definitions, b.connections["Person"], _selection, _connection_result
        )
        if "Consent" in model.nodes:
            fields |= consent_queries(
                gql,
                b.enums,
                definitions,
                b.connections["Person"],
                _selection,
                _connection_result,
            )
    query = strawberry.type(type("Query", (), fields), name="Query")
    mutation = strawberry.type(
        type("Mutation", (), privacy_mutations()), name="Mutation"
    )
    derived = frozenset(
        name for r in gql.roots for name in (r.lookup, r.list_field) if name
    )
    undecided = set(fields) - derived - set(DOMAIN)  # mutations are all listed there
    if undecided:  # closed to scoped roles until api.access says who may call them
        log.info(
            "root fields for admin and privacy-officer only: %s", sorted(undecided)
        )
    return _Schema(
        query=query,
        mutation=mutation,
        types=list(b.objects.values()),
        extensions=[
            guard(derived),
            prepared_queries(),  # with the depth (10) and alias (30) limits
            lambda: MaskErrors(
                should_mask_error=_should_mask,
                error_message="internal error; it was logged",
            ),
        ],
    )


def _domain_queries(gql: GqlSchema, person: type) -> dict[str, Any]:
    async def customer(info: Info, id: strawberry.ID) -> Any:
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params = cq.compile_nodes(
            gql,
            "Person",
            cypher.CUSTOMER_MATCH,
            sel.children,
            {"id": str(id)},
            scope_of(info),
        )
        records = await run_read(info, query, params)
        return dict(records[0]["node"]) if records else None

    async def search_customers(info: Info, text: str, first: int = 10) -> Any:
        if not 1 <= first <= MAX_SEARCH:
            raise UserError(f"first must be between 1 and {MAX_SEARCH}")
        if len(text) > 200:
            raise UserError("text is longer than 200 characters")
        lucene = cypher.search_query(text)
        if lucene is None:
            return []
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params = cq.compile_nodes(
            gql,
            "Person",
            cypher.SEARCH_MATCH,
            sel.children,
            {"query": lucene, "limit": first},
            scope_of(info),
        )
        return [dict(r["node"]) for r in await run_read(info, query, params)]

    async def by_source_record(info: Info, source: str, source_id: str) -> Any:
        if len(source) > 100 or len(source_id) > 500:
            raise UserError("source or sourceId is too long")
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params = cq.compile_nodes(
            gql,
            "Person",
            cypher.BY_SOURCE_RECORD_MATCH,
            sel.children,
            {"source": source, "sourceId": source_id},
            scope_of(info),
        )
        records = await run_read(info, query, params)
        return dict(records[0]["node"]) if records else None

    async def by_contact(info: Info, value: str | None) -> list[Any]:
        """Customers holding a normalised contact point; [] when it normalises to nothing."""
        if value is None:
            return []
        sel = _selection(cast(SelectedField, info.selected_fields[0]))
        query, params = cq.compile_nodes(
            gql,
            "Person",
            cypher.BY_CONTACT_MATCH,
            sel.children,
            {"value": value, "limit": MAX_SEARCH},
            scope_of(info),
        )
        return [dict(r["node"]) for r in await run_read(info, query, params)]

    async def by_email(info: Info, email: str) -> list[Any]:
        if len(email) > 320:
            raise UserError("email is longer than 320 characters")
        return await by_contact(info, normalise_email(email))

    async def by_phone(info: Info, phone: str, country: str | None = None) -> list[Any]:
        if len(phone) > 50:
            raise UserError("phone is longer than 50 characters")
        return await by_contact(info, normalise_phone(phone, country))

    return {
        "customer": strawberry.field(
            name="customer",
            resolver=customer,
            graphql_type=Optional[person],
            description="The unified customer with this id, or null.",
        ),
        "customerBySourceRecord": strawberry.field(
            name="customerBySourceRecord",
            resolver=by_source_record,
            graphql_type=Optional[person],
            description="The customer a source system's record resolved to, or null.",
        ),
        "customersByEmail": strawberry.field(
            name="customersByEmail",
            resolver=by_email,
            graphql_type=list[person],  # type: ignore[valid-type]
            description="Customers who gave this email in any source, compared as the resolver "
            "does (case, +tags, provider dots); several when a household shares it.",
        ),
        "customersByPhone": strawberry.field(
            name="customersByPhone",
            resolver=by_phone,
            graphql_type=list[person],  # type: ignore[valid-type]
            description="Customers who gave this phone in any source, compared in E.164 "
            "(`country` reads a number typed without its country code).",
        ),
        "searchCustomers": strawberry.field(
            name="searchCustomers",
            resolver=search_customers,
            graphql_type=list[person],  # type: ignore[valid-type]
            description="Customers whose names, emails or phones match all words of `text`, best first.",
        ),
    }


class _Schema(strawberry.Schema):
    """Errors that are the request's fault (validation, UserError, QueryError) are logged
    as one line; only unexpected ones with their stack trace (the client sees "internal
    error; it was logged"), so a refused request never fills the log with tracebacks."""

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if _should_mask(error):
                StrawberryLogger.error(error, execution_context)
            else:
                log.info("refused: %s", error.message)


def _should_mask(error: Any) -> bool:
    """Show GraphQL validation and user errors; hide everything unexpected (no stack traces)."""
    original = getattr(error, "original_error", None)
    return original is not None and not isinstance(original, UserError | cq.QueryError)
