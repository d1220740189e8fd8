"""Each distinct query text is parsed and validated once; its limits and errors still hold
on every later request of the same text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import neo4j
import pytest
from graphql import parse

from api import pipeline, prepared
from api.prepared import Prepared, PreparedCache
from graph.connection import Neo4jSettings
from tests.api.conftest import execute_graphql
from tests.conftest import HANDMADE

TOO_DEEP = (
    "{ dealers { nodes { "
    + "clubs { affiliatedWith { " * 5
    + "code"
    + " } }" * 5
    + " } } }"
)
TOO_MANY_ALIASES = (
    "{ " + " ".join(f"a{i}: dealers {{ totalCount }}" for i in range(31)) + " }"
)


@pytest.fixture(scope="module")
def person(driver: neo4j.Driver) -> Iterator[str]:
    """The hand-made records resolved; one customer's id."""
    driver.execute_query("MATCH (n) DETACH DELETE n")
    pipeline.run(driver, HANDMADE)
    yield driver.execute_query("MATCH (p:Person) RETURN min(p.id) AS id")[0][0]["id"]
    driver.execute_query("MATCH (n) DETACH DELETE n")


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each full validation the cache runs, by the document's first characters."""
    seen: list[str] = []
    real = prepared.validate_document

    def counted(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document.loc.source.body[:40])
        return real(schema, document, rules)

    monkeypatch.setattr(prepared, "validate_document", counted)
    return seen


def test_a_repeated_text_is_validated_once_and_answers_alike(
    neo4j_settings: Neo4jSettings, person: str, validations: list[str]
) -> None:
    query = "query($id: ID!) { customer(id: $id) { id displayName } }"
    ids = [person, "no-such-customer"]
    first, second = (execute_graphql(neo4j_settings, query, {"id": i}) for i in ids)
    assert first.errors is None and second.errors is None
    assert first.data["customer"]["id"] == person
    assert second.data["customer"] is None  # the variables still count
    assert validations.count(query[:40]) <= 1  # 0 if an earlier test sent this text


def test_limits_and_errors_hold_on_every_request_of_a_text(
    neo4j_settings: Neo4jSettings, person: str, validations: list[str]
) -> None:
    for _ in range(3):
        deep = execute_graphql(neo4j_settings, TOO_DEEP)
        assert deep.data is None
        assert "exceeds maximum operation depth" in deep.errors[0].message
        aliases = execute_graphql(neo4j_settings, TOO_MANY_ALIASES)
        assert aliases.data is None
        assert "aliases" in aliases.errors[0].message
        unknown = execute_graphql(neo4j_settings, "{ nope }")
        assert "Cannot query field 'nope'" in unknown.errors[0].message
        broken = execute_graphql(neo4j_settings, "{ customer(id: ")
        assert broken.data is None and "Syntax Error" in broken.errors[0].message
    assert validations.count(TOO_DEEP[:40]) <= 1
    assert validations.count(TOO_MANY_ALIASES[:40]) <= 1


def test_the_cache_is_bounded_and_skips_long_texts() -> None:
    cache = PreparedCache(size=3)
    texts = [f"{{ dealers(first: {n}) {{ totalCount }} }}" for n in range(1, 6)]
    long = "{ dealers { totalCount } }" + " " * prepared.LONGEST_CACHED
    for text in [*texts, long]:
        cache.put(text, Prepared(parse(text), []))
    assert len(cache) == 3
    assert cache.get(texts[2]) is not None  # now the most recently used
    cache.put(
        "{ persons { totalCount } }", Prepared(parse("{ persons { totalCount } }"), [])
    )
    assert cache.get(texts[2]) is not None and cache.get(texts[3]) is None
    assert cache.get(texts[0]) is None and cache.get(long) is None
