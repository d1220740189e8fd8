"""Faults: a batch load killed mid-write (SIGKILL, no clean-up of any kind) and run again
leaves the graph an uninterrupted load leaves, by the content checksum of every node and
relationship (``graph.checksum``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import neo4j
import pytest

from graph.checksum import checksum
from graph.connection import Neo4jSettings
from linkage.generate.run import generate
from tests.conftest import cli_env, run_cli, start_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("interrupted")
    generate(800, 29, root)  # enough for several write batches per stage
    return root


def _load(env: dict[str, str], data: Path) -> None:
    done = run_cli(
        "resolve", "--sources", str(data / "sources.toml"), env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]


def _empty(driver: neo4j.Driver, db: str) -> None:
    with driver.session(database=db) as session:  # CALL IN TRANSACTIONS: implicit
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS").consume()


@pytest.fixture(scope="module")
def uninterrupted(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, data: Path
) -> dict[str, Any]:
    db = neo4j_settings.database
    _empty(driver, db)
    _load(cli_env(neo4j_settings), data)
    return _comparable(checksum(driver, database=db))


def _comparable(s: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in s.items() if k != "full"}  # the run's own times differ


@pytest.mark.parametrize(
    "kill_at",
    [
        # (progress is printed as each stage ends: the kill lands in the next one)
        "source records:",  # records written, the persons being written
        "touchpoints",  # one kind of touchpoint written, the others not
    ],
)
def test_a_killed_load_run_again_gives_the_same_graph(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
    uninterrupted: dict[str, Any],
    kill_at: str,
) -> None:
    db = neo4j_settings.database
    env = cli_env(neo4j_settings)
    _empty(driver, db)
    reader = start_cli("resolve", "--sources", str(data / "sources.toml"), env=env)
    reader.wait_for(kill_at, timeout=600)
    reader.proc.kill()
    reader.proc.wait(timeout=30)
    partial = _comparable(checksum(driver, database=db))
    assert partial["nodes"] > 0 and partial != uninterrupted  # it stopped part-way

    _load(env, data)
    assert _comparable(checksum(driver, database=db)) == uninterrupted
