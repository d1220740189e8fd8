"""Shared fixtures. Every test that needs Neo4j talks to a real server: the managed one,
started once per session in a temporary folder, or the one named by NEO4J_URI.

Note: tests empty the database they run against (Community has one user database).
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import neo4j
import pytest

from graph.connection import Neo4jSettings, connect, server_components
from graph.server import ManagedNeo4j, Memory

ROOT = Path(__file__).resolve().parents[1]
# An empty key file: the API runs open in tests (and in their `c360` subprocesses) unless a
# test brings its own keys; a developer's real key file never changes what tests see.
os.environ["C360_API_KEYS"] = os.devnull
HANDMADE = ROOT / "tests" / "data" / "handmade" / "sources.toml"
COMPONENTS = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jSettings]:
    external = Neo4jSettings.from_env()
    if external is not None:
        yield external
        return
    server = ManagedNeo4j(tmp_path_factory.mktemp("neo4j-home"), Memory("1g", "512m"))
    settings = server.start(port=0)
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver(
    neo4j_settings: Neo4jSettings, pytestconfig: pytest.Config
) -> Iterator[neo4j.Driver]:
    drv = connect(neo4j_settings)
    pytestconfig.stash[COMPONENTS] = (
        f"{server_components(drv, neo4j_settings.database)} at {neo4j_settings.uri}"
    )
    yield drv
    drv.close()


@pytest.fixture
def clean_graph(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> Iterator[neo4j.Driver]:
    """An empty database before and after the test."""
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=neo4j_settings.database)
    yield driver
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=neo4j_settings.database)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    components = config.stash.get(COMPONENTS, None)
    if components:
        terminalreporter.write_line(f"neo4j: CALL dbms.components() -> {components}")


# -- helpers for tests that run the CLI or a server --------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(settings: Neo4jSettings | None, **extra: str) -> dict[str, str]:
    """The environment for a ``c360`` subprocess, pointed at ``settings`` (or at nothing)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    if settings is not None:
        env.update(
            NEO4J_URI=settings.uri,
            NEO4J_USER=settings.user,
            NEO4J_PASSWORD=settings.password,
        )
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )


class LineReader:
    """Collects a subprocess's stderr lines in a thread, so waiting for one can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(proc.stderr,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip())

    def wait_for(self, needle: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if needle in line:
                return self.seen
        raise AssertionError(
            f"{needle!r} not seen; output was:\n" + "\n".join(self.seen)
        )

    def rest(self, timeout: float = 5) -> list[str]:
        """Everything printed after the process ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.seen.append(self.lines.get(timeout=0.2))
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
        return self.seen


def start_cli(*args: str, env: dict[str, str]) -> LineReader:
    """Start a long-running ``c360`` command (serve, demo); read its stderr with the reader."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return LineReader(proc)


ONTOLOGY_ADDITIONS = Path(__file__).parent / "data" / "ontology_additions.ttl"


def extended_ontology(tmp_path: Path) -> Path:
    """A copy of the project's ontology plus a maintainer's change (tests/data/ontology_additions.ttl:
    ``Accessory -[:FITS_MODEL]-> Model`` with the inverse ``accessories``, ``Person -[:GUEST_OF]-> Person``)."""
    from ontology.model import DEFAULT_PATH

    path = tmp_path / "extended.ttl"
    path.write_text(
        DEFAULT_PATH.read_text(encoding="utf-8")
        + "\n"
        + ONTOLOGY_ADDITIONS.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    return path
