"""Fixtures of the API tests: a generated data set resolved into Neo4j once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from api import pipeline
from graph.connection import Neo4jSettings
from linkage.generate.run import generate


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
