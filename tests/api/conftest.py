"""Fixtures of the API tests: a generated data set resolved into Neo4j once per module."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from api import pipeline
from api.schema import build_schema
from graph.connection import Neo4jSettings, async_driver
from linkage.generate.run import generate
from ontology.model import default as default_ontology

SCHEMA = build_schema(default_ontology())


def execute_graphql(
    settings: Neo4jSettings,
    query: str,
    variables: dict[str, Any] | None = None,
    driver: Any = None,
    context: dict[str, Any] | None = None,
) -> Any:
    """One request through the schema in process, on a fresh async driver to the test
    server (or on ``driver(async_driver)``, e.g. one that counts queries); ``context``
    adds to the resolvers' context (a caller's ``scope``, say)."""

    async def run() -> Any:
        drv = async_driver(settings)
        try:
            return await SCHEMA.execute(
                query,
                variable_values=variables,
                context_value={
                    "driver": driver(drv) if driver else drv,
                    "database": settings.database,
                    **(context or {}),
                },
            )
        finally:
            await drv.close()

    return asyncio.run(run())


def customer_of(driver: neo4j.Driver, db: str) -> dict[str, str]:
    """Each stored source record ("source/sourceId") -> the customer it resolved to."""
    rows, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVED_TO]->(p:Person) "
        "RETURN s.source + '/' + s.sourceId AS key, p.id AS id",
        database_=db,
    )
    return {r["key"]: r["id"] for r in rows}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("journey")
    generate(400, 11, root)
    return root


@pytest.fixture(scope="module")
def loaded(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, data: Path
) -> Iterator[pipeline.PipelineResult]:
    """The data set resolved and written once for the module's tests."""
    db = neo4j_settings.database
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=db)
    yield pipeline.run(driver, data / "sources.toml", database=db)
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=db)
