"""Customer queries: lookup, full-text search, and the demo's suggested example."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, LiteralString

import neo4j

# The match parts of the customer queries; ``graph.compile`` appends the projection of
# whatever the request selected.
CUSTOMER_MATCH: LiteralString = "MATCH (n:Person {id: $id})"

SEARCH_MATCH: LiteralString = (
    "CALL db.index.fulltext.queryNodes('person_search', $query, {limit: $limit}) "
    "YIELD node AS n, score WITH n, score ORDER BY score DESC, n.id"
)

# A source system's record -> the customer it resolved to (the SourceRecord key index).
BY_SOURCE_RECORD_MATCH: LiteralString = "MATCH (:SourceRecord {source: $source, sourceId: $sourceId})-[:RESOLVED_TO]->(n:Person)"

# Customers who gave this contact point in any record (a household may share one), by id.
BY_CONTACT_MATCH: LiteralString = (
    "MATCH (:ContactPoint {value: $value})<-[:HAS_CONTACT_POINT]-(:SourceRecord)"
    "-[:RESOLVED_TO]->(n:Person) WITH DISTINCT n ORDER BY n.id LIMIT $limit"
)

_WORD = re.compile(r"\w+")


def search_text(values: Iterable[str]) -> str:
    """The indexed text: the same word split as queries use, so 'henrik.dahl@post.example.se'
    is found by any of its words."""
    return " ".join(w for v in values for w in _WORD.findall(v.casefold()))


def search_query(text: str) -> str | None:
    """Lucene query text for free user input; all words must match.

    Only word characters survive and they are lower-cased, so no input can inject Lucene
    syntax or operators (AND/OR/NOT are upper-case). The last word also matches as a
    prefix, so 'bell' finds 'Bellini' while typing.
    """
    words = _WORD.findall(text.casefold())
    if not words:
        return None
    last = words[-1]
    terms = [f"+{w}" for w in words[:-1]] + [f"+({last} OR {last}*)"]
    return " ".join(terms)


MOST_LINKED: LiteralString = """
MATCH (p:Person)
RETURN p.id AS id, p.displayName AS name, count{ (p)<-[:RESOLVED_TO]-() } AS records
ORDER BY records DESC, p.id LIMIT 1
"""


def most_linked_customer(
    driver: neo4j.Driver, database: str = "neo4j"
) -> dict[str, Any] | None:
    """The customer with the most source records: a good first example to look at."""
    records, _, _ = driver.execute_query(
        MOST_LINKED, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return records[0].data() if records else None


def _first(driver: neo4j.Driver, query: LiteralString, database: str) -> str | None:
    records, _, _ = driver.execute_query(
        query, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return str(records[0]["id"]) if records else None


def longest_journey(driver: neo4j.Driver, database: str = "neo4j") -> str | None:
    """The customer with the most touchpoints (a journey worth looking at)."""
    return _first(
        driver,
        "MATCH (p:Person) WITH p, COUNT { (p)-[:HAD]->() } AS n WHERE n > 0 "
        "RETURN p.id AS id ORDER BY n DESC, id LIMIT 1",
        database,
    )


def top_referrer(driver: neo4j.Driver, database: str = "neo4j") -> str | None:
    """The customer who referred the most others, if anyone did."""
    return _first(
        driver,
        "MATCH (p:Person)-[:REFERRED]->() WITH p, count(*) AS n "
        "RETURN p.id AS id ORDER BY n DESC, id LIMIT 1",
        database,
    )
