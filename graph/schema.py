"""Constraints and indexes, applied idempotently before any write.

The ontology issue derives these statements from ``ontology/customer360.ttl``; until then
this list is the schema of the foundation's graph.
"""

from __future__ import annotations

from typing import LiteralString

import neo4j

STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT source_record_key IF NOT EXISTS "
    "FOR (n:SourceRecord) REQUIRE (n.source, n.sourceId) IS UNIQUE",
    "CREATE CONSTRAINT email_value IF NOT EXISTS FOR (n:Email) REQUIRE n.value IS UNIQUE",
    "CREATE CONSTRAINT phone_value IF NOT EXISTS FOR (n:Phone) REQUIRE n.value IS UNIQUE",
    "CREATE CONSTRAINT vehicle_vin IF NOT EXISTS FOR (n:Vehicle) REQUIRE n.vin IS UNIQUE",
    "CREATE CONSTRAINT model_code IF NOT EXISTS FOR (n:Model) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT dealer_code IF NOT EXISTS FOR (n:Dealer) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT club_code IF NOT EXISTS FOR (n:Club) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT country_code IF NOT EXISTS FOR (n:Country) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT region_code IF NOT EXISTS FOR (n:Region) REQUIRE n.code IS UNIQUE",
    "CREATE CONSTRAINT event_id IF NOT EXISTS FOR (n:Event) REQUIRE n.id IS UNIQUE",
    "CREATE FULLTEXT INDEX person_search IF NOT EXISTS FOR (n:Person) ON EACH [n.searchText] "
    "OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-folding'}}",
)


def apply_schema(driver: neo4j.Driver, database: str = "neo4j") -> int:
    """Create every missing constraint and index, then wait for them to come online."""
    for statement in STATEMENTS:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return len(STATEMENTS)
