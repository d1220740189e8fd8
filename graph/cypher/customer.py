"""The customer 360 read: one query returns a person with everything the API shows."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, LiteralString

import neo4j

PERSON_PROJECTION: LiteralString = """
p {
  .id, .givenName, .familyName, .displayName, .country, .emails, .phones,
  sourceRecords: [(s:SourceRecord)-[rt:RESOLVED_TO]->(p) | s {
      .source, .sourceId, .givenName, .familyName, .email, .phone, .country, .updatedAt,
      rule: rt.rule, rulesetVersion: rt.rulesetVersion, matchedValue: rt.value,
      matchedSource: rt.matchedSource, matchedSourceId: rt.matchedSourceId
  }],
  vehicles: [(p)-[o:OWNS]->(v:Vehicle) | v {
      .vin, certification: o.certification, since: o.since,
      model: head([(v)-[:OF_MODEL]->(m:Model) | m {.code, .name, .family, .limitedEdition}])
  }],
  preferredDealer: head([(p)-[:PREFERS_DEALER]->(d:Dealer) | d {
      .code, .name, country: head([(d)-[:IN_COUNTRY]->(c:Country) | c.code])
  }]),
  clubs: [(p)-[m:MEMBER_OF]->(c:Club) | {
      memberNo: m.memberNo, since: m.since, status: m.status,
      club: c {.code, .name, dealer: head([(c)-[:AFFILIATED_WITH]->(d:Dealer) | d {
          .code, .name, country: head([(d)-[:IN_COUNTRY]->(x:Country) | x.code])
      }])}
  }]
}
"""

CUSTOMER_BY_ID: LiteralString = (
    "MATCH (p:Person {id: $id}) RETURN " + PERSON_PROJECTION + " AS person"
)

SEARCH: LiteralString = (
    "CALL db.index.fulltext.queryNodes('person_search', $query, {limit: $limit}) "
    "YIELD node AS p, score "
    "RETURN " + PERSON_PROJECTION + " AS person ORDER BY score DESC, p.id"
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


async def customer_by_id(
    driver: neo4j.AsyncDriver, person_id: str, database: str = "neo4j"
) -> dict[str, Any] | None:
    records, _, _ = await driver.execute_query(
        CUSTOMER_BY_ID,
        id=person_id,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return dict(records[0]["person"]) if records else None


async def search_customers(
    driver: neo4j.AsyncDriver, text: str, limit: int, database: str = "neo4j"
) -> list[dict[str, Any]]:
    query = search_query(text)
    if query is None:
        return []
    records, _, _ = await driver.execute_query(
        SEARCH,
        query=query,
        limit=limit,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [dict(r["person"]) for r in records]


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
