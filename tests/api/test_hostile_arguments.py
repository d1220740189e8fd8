"""Every root field, every string argument, hostile input: a clean answer or a clear GraphQL
error, never an internal error, and the graph untouched (parameterised Cypher only)."""

from __future__ import annotations

from typing import Any

import neo4j
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
)

from api import pipeline
from graph.connection import Neo4jSettings
from graph.scope import Role, Scope
from tests.api.conftest import SCHEMA, execute_graphql

HOSTILE = [
    "x' OR 1=1 //",
    '"}) MATCH (n) DETACH DELETE n //',
    "` MATCH (n) DETACH DELETE n //",
    "\u0000\u202e<script>",
    "é" * 5000,
]
_MUTATION = SCHEMA._schema.mutation_type
ROOTS = sorted(SCHEMA._schema.query_type.fields) + sorted(
    f"mutation.{name}" for name in (_MUTATION.fields if _MUTATION else {})
)
# Mutations run as the one role that may call them, so the arguments reach the resolver.
OFFICER = Scope(Role.PRIVACY_OFFICER, name="fuzz")


@pytest.fixture(autouse=True)
def privacy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutations' key from the environment, never a key file in the home folder."""
    monkeypatch.setenv("C360_PRIVACY_KEY", "hostile test")


def _value(kind: Any, text: str) -> Any:
    """A value of the argument's type, with ``text`` wherever a string or ID goes."""
    if isinstance(kind, GraphQLNonNull):
        return _value(kind.of_type, text)
    if isinstance(kind, GraphQLList):
        return [_value(kind.of_type, text)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLScalarType):
        return {"Int": 1, "Float": 1.0, "Boolean": True}.get(kind.name, text)
    assert isinstance(kind, GraphQLInputObjectType)
    return {}


def _literal(value: Any, kind: Any) -> str:
    named = get_named_type(kind)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v, named) for v in value) + "]"
    if isinstance(named, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, int | float):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _query(root: str, text: str) -> str | None:
    """``root`` called with ``text`` in each of its string arguments (None without any)."""
    operation, _, name = root.rpartition(".")
    parent = _MUTATION if operation else SCHEMA._schema.query_type
    assert parent is not None
    field = parent.fields[name]
    root = name
    args: list[str] = []
    strings = 0
    for name, arg in field.args.items():
        assert isinstance(arg, GraphQLArgument)
        named = get_named_type(arg.type)
        stringy = isinstance(named, GraphQLScalarType) and named.name in {
            "String",
            "ID",
        }
        if stringy:
            strings += 1
        elif not isinstance(arg.type, GraphQLNonNull):
            continue  # optional, not a string: leave it out
        args.append(f"{name}: {_literal(_value(arg.type, text), arg.type)}")
    if not strings:
        return None
    call = f"{root}({', '.join(args)})" if args else root
    leaf = isinstance(get_named_type(field.type), GraphQLScalarType | GraphQLEnumType)
    return f"{operation} {{ " + call + ("" if leaf else " { __typename }") + " }"


@pytest.mark.parametrize("root", ROOTS)
def test_hostile_strings_in_every_argument(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    loaded: pipeline.PipelineResult,
    root: str,
) -> None:
    db = neo4j_settings.database
    count = "MATCH (n) RETURN count(n) AS n"
    before = driver.execute_query(count, database_=db)[0][0]["n"]
    for text in HOSTILE:
        query = _query(root, text)
        if query is None:
            pytest.skip(f"{root} takes no string argument")
        result = execute_graphql(
            neo4j_settings,
            query,
            # Queries run open (a privileged key's reads would be audited, in the graph).
            context={"scope": OFFICER, "writer": lambda: driver}
            if root.startswith("mutation.")
            else None,
        )
        for error in result.errors or []:
            assert "internal error" not in error.message, (root, text[:20], error)
    assert driver.execute_query(count, database_=db)[0][0]["n"] == before
