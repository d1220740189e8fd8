"""Constraints and indexes, derived from the ontology and applied idempotently before any write."""

from __future__ import annotations

from typing import LiteralString, cast

import neo4j

from ontology.model import Ontology
from ontology.neo4j_schema import statements


def apply_schema(driver: neo4j.Driver, model: Ontology, database: str = "neo4j") -> int:
    """Create every missing constraint and index, then wait for them to come online."""
    todo = statements(model)
    for statement in todo:
        # Derived from the ontology model only: labels and names are checked and quoted there.
        driver.execute_query(cast(LiteralString, statement), database_=database)  # type: ignore[redundant-cast]  # mypy treats LiteralString as str
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return len(todo)
