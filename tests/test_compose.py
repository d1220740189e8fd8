"""docker-compose.yml, checked offline: `config` resolves and validates the file
without a Docker engine, and its YAML output is the model compose would run.

Works with docker-compose v1 (>= 1.27, the Debian package) or the `docker compose`
v2 plugin; skips when neither is installed.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"

# Control variables of the neo4j image's entrypoint; every other NEO4J_* variable
# becomes a neo4j.conf setting, so it must look like one (NEO4J_server_memory_...).
NEO4J_IMAGE_CONTROLS = {
    "NEO4J_AUTH",
    "NEO4J_AUTH_PATH",
    "NEO4J_PLUGINS",
    "NEO4J_ACCEPT_LICENSE_AGREEMENT",
    "NEO4J_DEBUG",
}


def _compose_command() -> list[str]:
    """The first compose tool that runs: docker-compose (v1), then docker compose."""
    candidates: list[list[str]] = []
    if exe := shutil.which("docker-compose"):
        candidates.append([exe])
    if docker := shutil.which("docker"):
        candidates.append([docker, "compose"])
    for cmd in candidates:
        try:
            probe = subprocess.run(
                [*cmd, "version"], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return cmd
    pytest.skip(
        "docker-compose is not installed: apt-get install docker-compose "
        "to validate the compose file"
    )


@pytest.fixture(scope="module")
def compose() -> list[str]:
    return _compose_command()


def _run_config(
    compose: list[str], tmp_path: Path, password: str | None
) -> subprocess.CompletedProcess[str]:
    """`compose config` in a controlled environment: only NEO4J_PASSWORD (when given)
    is set, and an empty --env-file so a developer's .env cannot change the outcome."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NEO4J_", "C360_", "COMPOSE_"))
    }
    if password is not None:
        env["NEO4J_PASSWORD"] = password
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return subprocess.run(
        [*compose, "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _ports(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host_ip, published, target) for v1 short strings and v2 long-form mappings."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append(
                (
                    str(port.get("host_ip", "")),
                    str(port.get("published", "")),
                    str(port["target"]),
                )
            )
        else:
            spec = str(port).split("/")[0]
            parts = spec.rsplit(":", 2)
            host_ip = parts[0] if len(parts) == 3 else ""
            out.append((host_ip, parts[-2] if len(parts) > 1 else "", parts[-1]))
    return out


def _volumes(service: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """target -> (type, source) for v1 short strings and v2 long-form mappings."""
    out = {}
    for vol in service.get("volumes", []):
        if isinstance(vol, dict):
            out[vol["target"]] = (vol.get("type", ""), str(vol.get("source", "")))
        else:
            source, target = str(vol).split(":")[:2]
            kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
            out[target] = (kind, source)
    return out


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


@pytest.fixture(scope="module")
def password() -> str:
    # Random per run, so it cannot be in the file by accident.
    return f"c360-test-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def config(
    compose: list[str], password: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    result = _run_config(compose, tmp_path_factory.mktemp("compose"), password)
    assert result.returncode == 0, f"compose config failed:\n{result.stderr}"
    model = yaml.safe_load(result.stdout)
    assert isinstance(model, dict)
    assert set(model["services"]) == {"neo4j", "api"}
    return model


def test_neo4j_service(config: dict[str, Any], password: str) -> None:
    neo4j = config["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"

    env = neo4j["environment"]
    assert env["NEO4J_AUTH"] == f"neo4j/{password}"
    assert env["NEO4J_server_memory_heap_max__size"] == "2G"
    assert env["NEO4J_server_memory_pagecache_size"] == "2G"
    # The image writes every other NEO4J_* variable into neo4j.conf and Neo4j 5 refuses
    # unknown settings: NEO4J_PASSWORD there would crash-loop the database.
    for key in env:
        if key.startswith("NEO4J_") and key not in NEO4J_IMAGE_CONTROLS:
            assert re.fullmatch(r"NEO4J_[a-z][a-z0-9_]*", key), (
                f"{key} would become a bogus neo4j.conf setting"
            )

    volumes = _volumes(neo4j)
    for target in ("/data", "/logs"):
        assert target in volumes, f"no volume for {target}"
        kind, source = volumes[target]
        assert kind == "volume", f"{target} is not a named volume: {source}"
        assert source in config.get("volumes", {}), f"{source} is not a declared volume"

    ports = {
        target: (host_ip, published) for host_ip, published, target in _ports(neo4j)
    }
    assert ports == {"7687": ("127.0.0.1", "7687"), "7474": ("127.0.0.1", "7474")}


def test_api_service(config: dict[str, Any], password: str) -> None:
    api = config["services"]["api"]
    build = api["build"]
    context = build["context"] if isinstance(build, dict) else build
    assert Path(context).resolve() == ROOT
    assert (ROOT / "Dockerfile").is_file()

    env = api["environment"]
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["NEO4J_USER"] == "neo4j"
    assert env["NEO4J_PASSWORD"] == password

    depends = api["depends_on"]
    assert isinstance(depends, dict), "depends_on needs the long form for a condition"
    assert depends["neo4j"]["condition"] == "service_healthy"

    assert _ports(api) == [("127.0.0.1", "8000", "8000")]
    assert api["restart"] == "unless-stopped"
    assert env["C360_WORKERS"] == "1"
    assert (env["C360_CONCURRENCY"], env["C360_MAX_IN_FLIGHT"]) == (
        "4",
        "64",
    )  # api.limit
    # The key file and the privacy key live in a named volume, not in the container.
    kind, source = _volumes(api)["/var/lib/c360"]
    assert kind == "volume" and source in config.get("volumes", {})


def test_both_services_have_healthchecks(config: dict[str, Any], password: str) -> None:
    for name in ("neo4j", "api"):
        health = config["services"][name].get("healthcheck")
        assert health, f"{name} has no healthcheck"
        assert not health.get("disable"), f"{name} healthcheck is disabled"
        command = _healthcheck_command(config["services"][name])
        # Read from the container's env at check time, never interpolated by compose.
        assert password not in command, f"{name} healthcheck embeds the password"

    neo4j_check = _healthcheck_command(config["services"]["neo4j"])
    assert "cypher-shell" in neo4j_check
    assert "RETURN 1" in neo4j_check
    assert "start_period" in config["services"]["neo4j"]["healthcheck"]
    assert "/health" in _healthcheck_command(config["services"]["api"])


def test_password_is_not_in_the_file(password: str, config: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text()
    assert password not in text
    # The raw (uninterpolated) file: each place that needs the password takes it from
    # NEO4J_PASSWORD with the :? guard, never a literal.
    raw = yaml.safe_load(text)["services"]
    assert raw["neo4j"]["environment"]["NEO4J_AUTH"].startswith(
        "neo4j/${NEO4J_PASSWORD:?"
    )
    assert raw["api"]["environment"]["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")


@pytest.mark.parametrize("password", [None, ""], ids=["unset", "empty"])
def test_config_fails_without_password(
    compose: list[str], tmp_path: Path, password: str | None
) -> None:
    result = _run_config(compose, tmp_path, password)
    assert result.returncode != 0, "compose config accepted a missing NEO4J_PASSWORD"
    assert "NEO4J_PASSWORD" in result.stderr + result.stdout
