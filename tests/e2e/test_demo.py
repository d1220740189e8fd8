"""`c360 demo` end to end: Neo4j -> records -> resolution -> graph -> GraphiQL answering."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from graph.connection import Neo4jSettings
from graph.server import ManagedNeo4j
from tests.conftest import cli_env, free_port, start_cli

pytestmark = [pytest.mark.neo4j, pytest.mark.http]

CUSTOMER = "query($id: ID!) { customer(id: $id) { id displayName familyName sourceRecords { rule node { source sourceId } } } }"


def _run_demo(
    env: dict[str, str], port: int, people: int = 300
) -> tuple[list[str], int]:
    """Start the demo, check GraphiQL answers, Ctrl-C it; return its output and exit code."""
    reader = start_cli("demo", "--port", str(port), "--people", str(people), env=env)
    proc = reader.proc
    try:
        lines = reader.wait_for("GraphiQL: http://127.0.0.1", timeout=400)
        start = next(i for i, line in enumerate(lines) if "ready:" in line)
        examples = [
            line.split(". ", 1)[1].split("  (")[0]
            for line in lines[start + 1 : start + 4]
        ]
        assert len(examples) == 3 and all(e.startswith("{") for e in examples), lines[
            start:
        ]
        match = re.search(r'customer\(id: "([0-9a-f-]+)"\)', examples[0])
        assert match, examples[0]
        url = f"http://127.0.0.1:{port}/graphql"
        for example in examples:  # each pasted query answers without errors
            reply = httpx.post(url, json={"query": example}, timeout=30).json()
            assert "errors" not in reply and all(reply["data"].values()), (
                example,
                reply,
            )
        answer = httpx.post(
            url,
            json={"query": CUSTOMER, "variables": {"id": match.group(1)}},
            timeout=30,
        )
        assert answer.status_code == 200
        customer = answer.json()["data"]["customer"]
        assert customer["id"] == match.group(1)
        assert (
            len(customer["sourceRecords"]) >= 2
        )  # the example is a customer seen in several systems
        assert {r["rule"] for r in customer["sourceRecords"]} & {
            "same_email_same_given_name",
            "same_mobile_same_given_name",
            "same_app_account",
            "splink",
        }
        search = httpx.post(
            url,
            json={
                "query": "query($t: String!) { searchCustomers(text: $t, first: 50) { id } }",
                "variables": {"t": customer["familyName"]},
            },
            timeout=30,
        )
        assert customer["id"] in {
            c["id"] for c in search.json()["data"]["searchCustomers"]
        }
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)
    return reader.rest(), code


def test_demo_against_a_running_neo4j(
    neo4j_settings: Neo4jSettings, clean_graph: object
) -> None:
    lines, code = _run_demo(cli_env(neo4j_settings), free_port())
    assert code == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "Neo4j Kernel 5.26" in text
    assert re.search(r"persons: (\d+)/\1 \(100%\)", text)  # progress was shown
    assert re.search(r"input rows -> \d+ source records -> \d+ customers", text)
    assert "people: 300/300 (100%)" in text
    ready = next(
        i for i, line in enumerate(lines) if "GraphiQL: http://127.0.0.1" in line
    )
    assert "bolt://" in lines[ready] and "cypher-shell" in lines[ready]
    assert not any("Traceback" in line for line in lines)


@pytest.mark.slow
def test_demo_on_the_default_setup_starts_and_stops_its_own_neo4j(
    tmp_path: Path,
) -> None:
    """No NEO4J_URI: the demo provisions the managed Neo4j, and Ctrl-C leaves no Java behind."""
    env = cli_env(
        None,
        C360_HOME=str(tmp_path),
        C360_NEO4J_HEAP="512m",
        C360_NEO4J_PAGECACHE="64m",
    )
    lines, code = _run_demo(env, free_port())
    assert code == 0, "\n".join(lines)
    assert any("starting the managed Neo4j" in line for line in lines)
    assert any("stopped the managed Neo4j this demo started" in line for line in lines)
    server = ManagedNeo4j(tmp_path / "neo4j")
    assert server.state() is None
    assert not [
        p
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and str(server.home).encode() in _cmdline(p)
    ]


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
