"""The managed Neo4j: provisioning, start, restart, stop, and the faults around them.

These start a second, private server (its own home and port) so the session's server is
never disturbed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from graph import runtime
from graph.connection import Neo4jSettings, connect, server_components
from graph.errors import Neo4jAuthError, Neo4jSetupError, Neo4jUnavailable
from graph.server import ManagedNeo4j, Memory
from tests.conftest import HANDMADE, cli_env, free_port, run_cli

pytestmark = pytest.mark.neo4j


def _java_processes_for(home: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(home).encode() in args:
                pids.append(int(proc.name))
    return pids


def test_jars_match_the_lock() -> None:
    folder = runtime.ensure_jars()
    locked = runtime.read_lock()
    assert len(locked) > 100
    present = {p.name for p in folder.glob("*.jar")}
    assert {j.file for j in locked} == present
    sample = locked[len(locked) // 2]
    assert runtime.sha256(folder / sample.file) == sample.sha256
    assert any(
        j.coordinate == f"org.neo4j:neo4j-bolt:{runtime.neo4j_version()}"
        for j in locked
    )


@pytest.mark.slow
def test_lifecycle_start_twice_status_stop(tmp_path: Path) -> None:
    home = tmp_path / "neo4j"  # the home `c360` uses when C360_HOME=tmp_path
    server = ManagedNeo4j(home, Memory("512m", "64m"))
    port = free_port()
    settings = server.start(port=port)
    try:
        assert settings.uri == f"bolt://127.0.0.1:{port}"
        pid = server.state()["pid"]  # type: ignore[index]
        # Starting again reuses the running server.
        assert server.start().uri == settings.uri
        assert server.state()["pid"] == pid  # type: ignore[index]
        assert len(_java_processes_for(home)) == 1
        # It is a real Neo4j 5.26 Community with auth on.
        driver = connect(settings)
        assert server_components(driver).startswith("Neo4j Kernel 5.26.")
        driver.close()
        with pytest.raises(Neo4jAuthError, match="refused user 'neo4j'"):
            connect(Neo4jSettings(settings.uri, "neo4j", "wrong-password"))
        # The password file is private.
        assert (server.password_path.stat().st_mode & 0o777) == 0o600
        # `c360 neo4j status` finds it; the URI is the last line of stdout.
        env = cli_env(None, C360_HOME=str(tmp_path))
        status = run_cli("neo4j", "status", env=env)
        assert status.returncode == 0, status.stderr
        assert status.stdout.strip().splitlines()[-1] == settings.uri
    finally:
        assert server.stop() is True
    assert _java_processes_for(home) == []
    assert server.state() is None
    status = run_cli("neo4j", "status", env=cli_env(None, C360_HOME=str(tmp_path)))
    assert status.returncode != 0
    assert status.stderr.strip().count("\n") == 0, status.stderr
    assert server.stop() is False


def test_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(Neo4jSetupError, match=f"port {port} on 127.0.0.1 is busy"):
            ManagedNeo4j(tmp_path).start(port=port)
    assert _java_processes_for(tmp_path.resolve()) == []


def test_missing_jdk_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Neo4jSetupError, match="no Java found: install a JDK 17"):
        ManagedNeo4j(tmp_path).start()


def test_old_java_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_home = tmp_path / "jdk"
    (fake_home / "bin").mkdir(parents=True)
    java = fake_home / "bin" / "java"
    # A real executable that reports Java 8, the way `java -version` does.
    java.write_text("#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(fake_home))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Neo4jSetupError, match="needs Java 17\\+, but .* is Java 8"):
        ManagedNeo4j(tmp_path).start()


def test_unreachable_uri_is_one_line_from_the_cli() -> None:
    env = cli_env(None)
    env.update(NEO4J_URI=f"bolt://127.0.0.1:{free_port()}", NEO4J_PASSWORD="x")
    for args in (("neo4j", "status"), ("load", "--sources", str(HANDMADE))):
        result = run_cli(*args, env=env)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "cannot reach Neo4j" in lines[0]


def test_unreachable_uri_error_type() -> None:
    with pytest.raises(Neo4jUnavailable):
        connect(Neo4jSettings(f"bolt://127.0.0.1:{free_port()}", "neo4j", "x"))


def test_bad_cli_argument_is_one_line_exit_2() -> None:
    result = run_cli("neo4j", "start", "--port", "abc", env=cli_env(None))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--port" in result.stderr


def test_memory_settings() -> None:
    assert Memory("1g", "512m").transaction_max() == "716m"
    with pytest.raises(Neo4jSetupError, match="not like 512m"):
        Memory("lots", "1g").transaction_max()


def test_uri_without_password_is_refused() -> None:
    with pytest.raises(Neo4jSetupError, match="NEO4J_PASSWORD is not"):
        Neo4jSettings.from_env({"NEO4J_URI": "bolt://127.0.0.1:7687"})
    assert Neo4jSettings.from_env({}) is None
    assert "secret" not in repr(Neo4jSettings("bolt://x:1", "neo4j", "secret"))


def test_repo_has_no_jars() -> None:
    root = Path(__file__).resolve().parents[2]
    tracked = os.popen(f"git -C {root} ls-files '*.jar'").read().split()  # noqa: S605
    assert tracked == []


def test_busy_http_port_is_one_line(neo4j_settings: Neo4jSettings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_cli("serve", "--port", str(port), env=cli_env(neo4j_settings))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"c360: cannot serve on 127.0.0.1:{port} (Address already in use): choose another --port"
    ]
