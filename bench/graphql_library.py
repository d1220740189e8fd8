"""The customer-360 query served by our API and by the Neo4j GraphQL Library, side by side.

Run: .venv/bin/python bench/graphql_library.py [PEOPLE] [--data DIR] [--home DIR] [--requests N]
     (default 100000 people, seed 7, 200 requests per server; loopback only; needs node + npm)

Generates PEOPLE people (or reuses DIR), loads them into a managed Neo4j (heap 2g, page cache
1g; ``--home`` keeps that server's folder, and a folder that already holds a loaded graph is
reused without loading again). Installs the library from npm into
``bench/neo4j_graphql_library/node_modules`` (``npm ci``) when it is missing, then starts, on
the same Neo4j, ``c360 serve`` and ``node bench/neo4j_graphql_library/server.mjs``
(``@neo4j/graphql`` over Apollo Server, type definitions in ``typeDefs.graphql``), each in its
own process. Checks that both return the same customer for a few source records, warms each
with 20 requests, then sends N requests to each, interleaved in pairs with the same arguments
(which server goes first alternates), each server over its own keep-alive connection.
Prints the library versions, what the library's query differs in, n/p50/p95/p99/errors per
server, and ``ratio ours/theirs`` of p50 and p99 (below 1.0: ours is faster).
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
from graphql_latency import (  # bench/ is on sys.path when run as a script
    C360,
    arguments_parser,
    free_port,
    load_once,
    pct,
)

from graph.connection import connect
from graph.server import ManagedNeo4j, Memory
from linkage.generate.run import generate

LIBRARY = Path(__file__).resolve().parent / "neo4j_graphql_library"
WARMUP = 20
CHECKED = 10  # source records whose answers are compared before timing

Variables = dict[str, str]

OURS = C360  # the customer-360 query of bench/graphql_latency.py
# Theirs: the same data with the same nesting in the library's v7 API. The root is a filtered
# list of source records; relationship properties (rule) need the connection field; lists are
# sorted as ours sorts them (by the key; touchpoints by at, then the key).
THEIRS = """query($source: String!, $sourceId: String!) {
  sourceRecords(where: {source: {eq: $source}, sourceId: {eq: $sourceId}}) {
    resolvedTo {
      id displayName emails phones lifecycleStage
      sourceRecordsConnection(sort: [{node: {source: ASC}}, {node: {sourceId: ASC}}]) {
        edges { properties { rule } node { source sourceId } }
      }
      owns(sort: [{vin: ASC}]) { vin ofModel { code } }
      prefersDealer { code }
      memberOf(sort: [{code: ASC}]) { code }
      had(limit: 10, sort: [{at: ASC}, {source: ASC}, {sourceId: ASC}]) { __typename at }
    }
  }
}"""
DIFFERENCES = (
    "root: sourceRecords(where: {source: {eq}, sourceId: {eq}}) { resolvedTo { ... } }, a list"
    " of (at most one) source record, instead of one customer or null",
    "sourceRecords' rule through sourceRecordsConnection { edges { properties { rule } node } }",
    "owns, prefersDealer, memberOf give the nodes (ours: edge objects { node })",
    "had(limit: 10, sort: at, source, sourceId) over an interface of 14 touchpoint types"
    " (one MATCH per type in a UNION, then sorted and limited)",
    "sourceRecordsConnection, owns, memberOf sorted by key, as ours orders them",
    "at is a LocalDateTime (ours a DateTime, same text); lifecycleStage the stored string"
    " (ours an enum: compared lower-cased)",
)


def send(
    client: httpx.Client, url: str, query: str, variables: Variables
) -> tuple[float, dict[str, Any] | None, str | None]:
    """Elapsed seconds, the data, and an error (or None)."""
    t0 = time.perf_counter()
    response = client.post(url, json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - t0
    try:
        body = response.json()
    except ValueError:
        return elapsed, None, f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code != 200 or body.get("errors"):
        return (
            elapsed,
            None,
            json.dumps(body.get("errors") or response.status_code)[:200],
        )
    return elapsed, body.get("data"), None


def ours_customer(data: dict[str, Any] | None) -> dict[str, Any] | None:
    person = (data or {}).get("customerBySourceRecord")
    if person is None:
        return None
    return {
        "id": person["id"],
        "displayName": person["displayName"],
        "emails": person["emails"] or [],
        "phones": person["phones"] or [],
        "lifecycleStage": str(person["lifecycleStage"]).lower(),
        "sourceRecords": [
            (e["rule"], e["node"]["source"], e["node"]["sourceId"])
            for e in person["sourceRecords"]
        ],
        "owns": [
            (e["node"]["vin"], (e["node"]["ofModel"] or {}).get("code"))
            for e in person["owns"]
        ],
        "dealers": [person["prefersDealer"]["node"]["code"]]
        if person["prefersDealer"]
        else [],
        "clubs": [e["node"]["code"] for e in person["memberOf"]],
        "had": [(t["__typename"], t["at"]) for t in person["had"]],
    }


def theirs_customer(data: dict[str, Any] | None) -> dict[str, Any] | None:
    people = [r["resolvedTo"] for r in (data or {}).get("sourceRecords") or []]
    if not people:
        return None
    person = people[0]
    return {
        "id": person["id"],
        "displayName": person["displayName"],
        "emails": person["emails"] or [],
        "phones": person["phones"] or [],
        "lifecycleStage": str(person["lifecycleStage"]).lower(),
        "sourceRecords": [
            (e["properties"]["rule"], e["node"]["source"], e["node"]["sourceId"])
            for e in person["sourceRecordsConnection"]["edges"]
        ],
        "owns": [(v["vin"], (v["ofModel"] or {}).get("code")) for v in person["owns"]],
        "dealers": [person["prefersDealer"]["code"]] if person["prefersDealer"] else [],
        "clubs": [c["code"] for c in person["memberOf"]],
        "had": [(t["__typename"], t["at"]) for t in person["had"]],
    }


def install_library() -> None:
    """``npm ci`` (``npm install`` without a lock file) when node_modules is missing."""
    if (LIBRARY / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm not found: the Neo4j GraphQL Library is installed from npm")
    verb = "ci" if (LIBRARY / "package-lock.json").exists() else "install"
    print(f"npm {verb} in {LIBRARY}", flush=True)
    subprocess.run(
        [npm, verb, "--no-audit", "--no-fund"],
        cwd=LIBRARY,
        check=True,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )


def wait_ready(
    proc: subprocess.Popen[bytes],
    name: str,
    ready: Callable[[], bool],
    seconds: float = 90,
) -> None:
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode} before it was ready")
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"{name} not ready after {seconds:.0f} s")


def main() -> None:
    args = arguments_parser(__doc__).parse_args()
    node = shutil.which("node")
    if node is None:
        sys.exit("node not found: the Neo4j GraphQL Library runs on Node.js")
    node_version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(
        f"command: python bench/graphql_library.py {args.people} --requests {args.requests} | "
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Node {node_version}",
        flush=True,
    )
    install_library()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if not (data / "sources.toml").exists():
            print(f"generating {args.people:,} people in {data}", flush=True)
            generate(args.people, args.seed, data)
        home = args.home or Path(tmp) / "neo4j"
        reuse = (home / "loaded").exists()
        server = ManagedNeo4j(home, Memory("2g", "1g"))
        settings = server.start(port=0)
        driver = connect(settings)
        procs: list[subprocess.Popen[bytes]] = []
        log: IO[bytes] | None = None
        try:
            if not reuse:
                load_once(server, driver, data, home)
            env = {
                **os.environ,
                "NEO4J_URI": settings.uri,
                "NEO4J_USER": settings.user,
                "NEO4J_PASSWORD": settings.password,
            }
            ours_port, theirs_port = free_port(), free_port()
            ours = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(ours_port)],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            procs.append(ours)
            log_path = Path(tmp) / "library.log"
            log = log_path.open("wb")
            theirs = subprocess.Popen(
                [node, "server.mjs", str(theirs_port)],
                cwd=LIBRARY,
                env={**env, "NODE_ENV": "production"},
                stdout=log,
            )
            procs.append(theirs)
            ours_url = f"http://127.0.0.1:{ours_port}/graphql"
            theirs_url = f"http://127.0.0.1:{theirs_port}/graphql"
            wait_ready(
                ours,
                "c360 serve",
                lambda: (
                    httpx.get(f"http://127.0.0.1:{ours_port}/health").status_code == 200
                ),
            )
            wait_ready(
                theirs,
                "the library's server",
                lambda: (
                    httpx.post(theirs_url, json={"query": "{ __typename }"}).status_code
                    == 200
                ),
            )
            print(f"library: {log_path.read_text().strip().removeprefix('ready ')}")
            print("the library's query differs from ours in:")
            for line in DIFFERENCES:
                print(f"  - {line}")

            records = driver.execute_query(
                "MATCH (s:SourceRecord {source: 'dealer_crm'}) RETURN s.source, s.sourceId"
            )[0]
            rng = random.Random(args.seed)  # noqa: S311 - reproducible arguments, not secrets

            def make() -> Variables:
                source, source_id = rng.choice(records)
                return {"source": source, "sourceId": source_id}

            with (
                httpx.Client(timeout=30) as ours_client,
                httpx.Client(timeout=30) as theirs_client,
            ):
                check(ours_client, ours_url, theirs_client, theirs_url, make)
                for _ in range(WARMUP):
                    variables = make()
                    send(ours_client, ours_url, OURS, variables)
                    send(theirs_client, theirs_url, THEIRS, variables)
                times: dict[str, list[float]] = {"ours": [], "theirs": []}
                errors: dict[str, list[str]] = {"ours": [], "theirs": []}
                runs = {
                    "ours": (ours_client, ours_url, OURS),
                    "theirs": (theirs_client, theirs_url, THEIRS),
                }
                for i in range(args.requests):
                    variables = make()
                    for name in (
                        ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")
                    ):
                        client, url, query = runs[name]
                        elapsed, _, error = send(client, url, query, variables)
                        times[name].append(elapsed)
                        if error:
                            errors[name].append(error)
            labels = {
                "ours": "ours (c360 serve)",
                "theirs": "theirs (@neo4j/graphql)",
            }
            print(
                f"{'customer 360 by source ID':<26}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}"
                f"{'p99 ms':>9}  errors"
            )
            for name, label in labels.items():
                print(
                    f"{label:<26}{len(times[name]):>6}{pct(times[name], 50):>9.1f}"
                    f"{pct(times[name], 95):>9.1f}{pct(times[name], 99):>9.1f}"
                    f"  {len(errors[name])}"
                    + (f" e.g. {errors[name][0]}" if errors[name] else ""),
                    flush=True,
                )
            print(
                f"ratio ours/theirs: p50 "
                f"{pct(times['ours'], 50) / pct(times['theirs'], 50):.2f}, p99 "
                f"{pct(times['ours'], 99) / pct(times['theirs'], 99):.2f}",
                flush=True,
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if log is not None:
                log.close()
            driver.close()
            server.stop()


def check(
    ours_client: httpx.Client,
    ours_url: str,
    theirs_client: httpx.Client,
    theirs_url: str,
    make: Callable[[], Variables],
) -> None:
    """Both servers give the same customer for CHECKED source records; prints mismatches."""
    mismatches = 0
    for _ in range(CHECKED):
        variables = make()
        _, ours_data, ours_error = send(ours_client, ours_url, OURS, variables)
        _, theirs_data, theirs_error = send(
            theirs_client, theirs_url, THEIRS, variables
        )
        key = f"{variables['source']}/{variables['sourceId']}"
        if ours_error or theirs_error:
            mismatches += 1
            print(
                f"  check {key}: ours error {ours_error}, theirs error {theirs_error}"
            )
            continue
        a, b = ours_customer(ours_data), theirs_customer(theirs_data)
        if a is None or b is None:
            if a != b:
                mismatches += 1
                print(f"  check {key}: ours {a}, theirs {b}")
            continue
        for field in a:
            if a[field] != b[field]:
                mismatches += 1
                print(f"  check {key} {field}: ours {a[field]!r}, theirs {b[field]!r}")
    print(
        f"check: {CHECKED} source records, "
        + ("same customer data" if not mismatches else f"{mismatches} mismatches")
        + " (id, name, emails, phones, stage, source records+rule, vins+model, dealer,"
        " clubs, 10 touchpoints' type+at; all in order)",
        flush=True,
    )


if __name__ == "__main__":
    main()
