"""A first load by Neo4j's offline importer gives the graph the batch write gives.

The bulk import replaces a database, so it runs against a managed Neo4j of its own (it
stops and restarts it); the batch write runs against the session's server with the model
the bulk run trained, and the two graphs' content checksums must be equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from api import bulk_load, pipeline
from graph import bulk
from graph.checksum import checksum
from graph.connection import Neo4jSettings, connect
from graph.cypher import resolution as resolution_graph
from graph.server import ManagedNeo4j, Memory
from linkage import settings as linkage_settings
from linkage.generate.run import generate
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.neo4j

AS_OF = dt.datetime(2026, 6, 30, 12, 0)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bulk") / "data"
    generate(1500, 13, out)
    return out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ManagedNeo4j]:
    server = ManagedNeo4j(tmp_path / "neo4j", Memory("512m", "128m"))
    server.start(port=0)
    yield server
    server.stop()


def test_a_bulk_import_gives_the_graph_the_batch_write_gives(
    data: Path, server: ManagedNeo4j, clean_graph: neo4j.Driver
) -> None:
    settings = server.settings()
    assert settings is not None
    own = connect(settings)
    try:
        imported = pipeline.run(
            own,
            data / "sources.toml",
            as_of=AS_OF,
            importer=bulk_load.importer(server),
        )
        expected = checksum(own)
        model = resolution_graph.model(own, "neo4j")
        # The server was restarted by the import and answers on the same port.
        assert server.settings() == settings
    finally:
        own.close()
    assert imported.records > 4000 and imported.touchpoints > 8000
    version = linkage_settings.default().version
    assert model is not None
    resolution_graph.save_model(clean_graph, "neo4j", version, model, "2026-01-01")
    written = pipeline.run(clean_graph, data / "sources.toml", as_of=AS_OF)
    assert not written.trained  # the same model as the bulk run's
    assert (written.records, written.persons, written.touchpoints) == (
        imported.records,
        imported.persons,
        imported.touchpoints,
    )
    assert written.quarantined == imported.quarantined
    got = checksum(clean_graph)
    assert (got["labels"], got["types"]) == (expected["labels"], expected["types"])
    assert got["content"] == expected["content"]


def test_a_bulk_import_refuses_a_database_that_holds_a_graph(
    data: Path, clean_graph: neo4j.Driver
) -> None:
    clean_graph.execute_query("CREATE (:Person {id: 'kept'})")
    with pytest.raises(pipeline.NotEmptyError, match="only for a first load"):
        pipeline.run(
            clean_graph,
            data / "sources.toml",
            importer=lambda *_: pytest.fail("the importer must not run"),
        )
    records, _, _ = clean_graph.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] == 1


def test_the_files_keep_every_type_and_awkward_text(tmp_path: Path) -> None:
    files = bulk.Files(tmp_path)
    files.node(
        "Thing",
        "Thing",
        "a",
        {
            "n": 1,
            "x": 1.5,
            "b": False,
            "d": dt.date(2020, 2, 29),
            "t": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "s": 'say "hi", then\nleave',
            "l": ["a;b", "c"],
            "gone": None,
        },
    )
    files.node("Thing", "Thing", "b", {"n": 2.5})  # another type: another file
    args = files.close()
    nodes = [a for a in args if a.startswith("--nodes=")]
    assert len(nodes) == 2
    first = Path(nodes[0].split("=", 2)[2]).read_text(encoding="utf-8")
    header, row = first.split("\n", 1)
    assert header == (
        ":ID(Thing),n:long,x:double,b:boolean,d:date,t:datetime,s:string,l:string[]"
    )
    assert row == '"a",1,1.5,"false","2020-02-29","2020-01-02T03:04:05+00:00",' + (
        '"say ""hi"", then\nleave","a;b\x1fc"\n'
    )
    assert any(a.startswith("--multiline-fields=") for a in args)
    with pytest.raises(bulk.BulkError, match="cannot store"):
        bulk.Files(tmp_path / "x").node("T", "T", "c", {"m": [1, "a"]})


def test_the_cli_refuses_a_bulk_import_to_a_server_it_does_not_manage(
    data: Path, neo4j_settings: Neo4jSettings
) -> None:
    env = cli_env(neo4j_settings)
    done = run_cli(
        "resolve", "--sources", str(data / "sources.toml"), "--bulk-import", env=env
    )
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach a server at NEO4J_URI" in line


def test_a_failed_bulk_import_leaves_the_server_running(
    data: Path, server: ManagedNeo4j, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: bulk.Graph, rows: object) -> None:
        raise bulk.BulkError("a row the importer cannot store")

    monkeypatch.setattr(bulk.Graph, "persons", refuse)
    settings = server.settings()
    assert settings is not None
    own = connect(settings)
    try:
        with pytest.raises(bulk.BulkError, match="cannot store"):
            pipeline.run(
                own, data / "sources.toml", importer=bulk_load.importer(server)
            )
        assert server.settings() == settings  # started again, on its port
        records, _, _ = own.execute_query("MATCH (n) RETURN count(n) AS n")
        assert records[0]["n"] == 0
    finally:
        own.close()
    assert not list(server.home.glob("c360-import-*"))  # the files are gone
