"""`c360 neo4j add-reader`: an analyst's Neo4j user, on the real server. Community
authenticates it and holds read-mode sessions to reads; only Enterprise's roles stop the
same user writing in a write session (the README says so, and this test checks it)."""

from __future__ import annotations

from collections.abc import Iterator

import neo4j
import pytest
from neo4j.exceptions import AuthError, ClientError

from graph import users
from graph.connection import Neo4jSettings
from graph.errors import C360Error
from tests.conftest import cli_env, run_cli


@pytest.fixture
def reader(driver: neo4j.Driver) -> Iterator[str]:
    yield "c360_test_analyst"
    driver.execute_query("DROP USER c360_test_analyst IF EXISTS", database_="system")


def test_reader_user_reads_and_read_mode_refuses_writes(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings, reader: str
) -> None:
    db = neo4j_settings.database
    clean_graph.execute_query("CREATE (:Dealer {code: 'R-1'})", database_=db)
    made = run_cli("neo4j", "add-reader", reader, env=cli_env(neo4j_settings))
    assert made.returncode == 0, made.stderr
    password = made.stdout.strip().splitlines()[-1]
    assert "--access-mode read" in made.stderr

    with (
        neo4j.GraphDatabase.driver(neo4j_settings.uri, auth=(reader, "wrong")) as bad,
        pytest.raises(AuthError),
    ):
        bad.verify_connectivity()
    with neo4j.GraphDatabase.driver(neo4j_settings.uri, auth=(reader, password)) as own:
        rows, _, _ = own.execute_query(
            "MATCH (d:Dealer) RETURN d.code AS code",
            database_=db,
            routing_=neo4j.RoutingControl.READ,
        )
        assert [r["code"] for r in rows] == ["R-1"]
        with (
            own.session(database=db, default_access_mode=neo4j.READ_ACCESS) as s,
            pytest.raises(ClientError, match="read access mode"),
        ):
            s.run("CREATE (:Dealer {code: 'R-2'})").consume()
        community = users.edition(clean_graph) == "community"
        if community:  # no roles: a write session may write (what the README warns)
            own.execute_query("CREATE (:Dealer {code: 'R-3'})", database_=db)
    codes = clean_graph.execute_query(
        "MATCH (d:Dealer) RETURN d.code AS code ORDER BY code", database_=db
    )[0]
    assert [r["code"] for r in codes] == (["R-1", "R-3"] if community else ["R-1"])

    again = run_cli("neo4j", "add-reader", reader, env=cli_env(neo4j_settings))
    assert again.returncode != 0 and "exists already" in again.stderr
    with pytest.raises(C360Error, match="a user name is"):
        users.create_reader(clean_graph, "x; DROP USER neo4j")
