"""GraphQL latency end to end through uvicorn, warm, on a generated graph.

Run: .venv/bin/python bench/graphql_latency.py [PEOPLE] [--data DIR] [--home DIR] [--requests N]
     (default 100000 people, seed 7, 200 requests per query; loopback only)

Generates PEOPLE people (or reuses DIR), loads them into a managed Neo4j (heap 2g, page
cache 1g; with a bulk import into the empty database; ``--home`` keeps that server's folder, and a folder that already holds a loaded
graph is reused without loading again), starts ``c360 serve`` in its own process and sends
each query kind N times over one keep-alive HTTP connection, after 20 warm-up requests, with
arguments drawn from the graph (seeded); each segment's explanation query is planned once
beforehand. Segments are refreshed first (timed). Prints
p50/p95/p99 per kind and any error, then the throughput of a mixed workload from 8 concurrent
clients for 20 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import h11
import httpx
import neo4j

from api import bulk_load, pipeline
from api.cli.output import ProgressPrinter
from graph import segment_compile, segments
from graph.connection import Neo4jSettings, connect
from graph.server import ManagedNeo4j, Memory
from linkage.generate.config import load_config
from linkage.generate.run import generate
from ontology.model import default as default_ontology

Request = tuple[str, dict[str, Any]]
# Segments are evaluated on the generated world's day, so their time windows hold data.
AS_OF = dt.datetime.combine(load_config().world.as_of_date, dt.time())

C360 = """query($source: String!, $sourceId: String!) {
  customerBySourceRecord(source: $source, sourceId: $sourceId) {
    id displayName emails phones lifecycleStage
    sourceRecords { rule node { source sourceId } }
    owns { node { vin ofModel { code } } }
    prefersDealer { node { code } }
    memberOf { node { code } }
    had(first: 10) { __typename at }
  }
}"""
JOURNEY = """query($id: ID!) {
  customer(id: $id) { had(first: 100) { __typename at journeyStage atDealer { code } } }
}"""
CHAIN = """query($id: ID!) {
  referralChain(customerId: $id) { depth referrer { id } }
}"""
TREE = """query($id: ID!) {
  referralTree(customerId: $id, maxDepth: 3, maxNodes: 200) { depth referee { id } }
}"""
CONNECTION = """query($a: ID!, $b: ID!) {
  connection(a: $a, b: $b) { hops nodes { kind key } }
}"""
DEALER = """query($code: String!) {
  dealerKpis(code: $code) { customers clubPenetration quotationToOrderRate nps { key nps } }
}"""
MEMBERSHIP = """query($c: ID!, $s: ID!) {
  segmentMembership(customerId: $c, segmentId: $s) { member since reasons { held } }
}"""
PEOPLE_SAMPLE = "MATCH (p:Person) RETURN p.id LIMIT 1"
SEGMENT_IDS = "MATCH (s:Segment) RETURN s.id ORDER BY s.id"
MEMBERS = """query($s: ID!) {
  segmentMembers(segmentId: $s, first: 20) { totalCount nodes { id displayName } }
}"""


def arguments(
    driver: neo4j.Driver, rng: random.Random
) -> dict[str, Callable[[], Request]]:
    """Each query kind with a generator of requests whose arguments exist in the graph."""

    def column(cypher: Any) -> list[Any]:
        return [r[0] for r in driver.execute_query(cypher)[0]]

    records = driver.execute_query(
        "MATCH (s:SourceRecord {source: 'dealer_crm'}) RETURN s.source, s.sourceId"
    )[0]
    people = column("MATCH (p:Person) RETURN p.id")
    referees = column("MATCH ()-[:REFERRED]->(p:Person) RETURN DISTINCT p.id")
    referrers = column("MATCH (p:Person)-[:REFERRED]->() RETURN DISTINCT p.id")
    dealers = column("MATCH (d:Dealer) RETURN d.code")
    segments = column("MATCH (s:Segment) RETURN s.id ORDER BY s.id")
    largest = column(
        "MATCH (s:Segment) RETURN s.id ORDER BY s.memberCount DESC LIMIT 1"
    )
    return {
        "customer 360 by source ID": lambda: (
            C360,
            dict(zip(("source", "sourceId"), rng.choice(records), strict=True)),
        ),
        "journey (100 touchpoints)": lambda: (JOURNEY, {"id": rng.choice(people)}),
        "referral chain": lambda: (CHAIN, {"id": rng.choice(referees)}),
        "referral tree, 3 hops": lambda: (TREE, {"id": rng.choice(referrers)}),
        "connection (<= 6 hops)": lambda: (
            CONNECTION,
            dict(zip(("a", "b"), rng.sample(people, 2), strict=True)),
        ),
        "dealer KPIs": lambda: (DEALER, {"code": rng.choice(dealers)}),
        "segment membership + why": lambda: (
            MEMBERSHIP,
            {"c": rng.choice(people), "s": rng.choice(segments)},
        ),
        "largest segment, count+page": lambda: (MEMBERS, {"s": largest[0]}),
    }


def load_once(
    server: ManagedNeo4j, driver: neo4j.Driver, data: Path, home: Path
) -> None:
    """Load ``data`` with ``c360 resolve --bulk-import``'s pipeline (the batch write when
    the database is not empty) and mark ``home`` as holding it."""
    t0 = time.perf_counter()
    empty = not driver.execute_query("MATCH (n) RETURN n LIMIT 1").records
    print(
        f"loading ({'bulk import' if empty else 'batch write'}, c360 resolve's pipeline)...",
        flush=True,
    )
    result = pipeline.run(
        driver,
        data / "sources.toml",
        progress=ProgressPrinter(interval=30),
        importer=bulk_load.importer(server) if empty else None,
    )
    print(
        f"  {result.records:,} records -> {result.persons:,} customers in "
        f"{time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    (home / "loaded").write_text("yes\n")


def send(client: httpx.Client, url: str, request: Request) -> tuple[float, str | None]:
    query, variables = request
    t0 = time.perf_counter()
    response = client.post(url, json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - t0
    return elapsed, _error(response.status_code, response.content)


def _error(status: int, body: bytes) -> str | None:
    """What went wrong with one answer: "503" when shed by the API's in-flight limit,
    the GraphQL errors or the status when not a clean 200, else None."""
    if status == 503:
        return "503"
    try:
        errors = json.loads(body).get("errors")
    except ValueError:
        return f"{status}: not JSON"
    if status != 200 or errors:
        return json.dumps(errors or status)[:200]
    return None


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def loaded_graph(
    args: argparse.Namespace, tmp: Path
) -> Iterator[tuple[Neo4jSettings, neo4j.Driver]]:
    """A managed Neo4j (heap 2g, page cache 1g) holding ``args.people`` generated people:
    ``--data`` and ``--home`` are reused when they already hold them, else made in ``tmp``."""
    data = args.data or tmp / "data"
    if not (data / "sources.toml").exists():
        print(f"generating {args.people:,} people in {data}", flush=True)
        generate(args.people, args.seed, data)
    home = args.home or tmp / "neo4j"
    server = ManagedNeo4j(home, Memory("2g", "1g"))
    settings = server.start(port=0)
    driver = connect(settings)
    try:
        if not (home / "loaded").exists():
            load_once(server, driver, data, home)
        yield settings, driver
    finally:
        driver.close()
        server.stop()


def serve(
    settings: Neo4jSettings, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """``c360 serve --workers N`` on a free loopback port against ``settings``, once
    /health answers; the process and the GraphQL URL."""
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": settings.uri,
        "NEO4J_USER": settings.user,
        "NEO4J_PASSWORD": settings.password,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}/graphql"


def arguments_parser(doc: str | None) -> argparse.ArgumentParser:
    """The GraphQL benchmarks' arguments: PEOPLE, --data, --home, --seed, --requests."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=100_000)
    parser.add_argument(
        "--data", type=Path, help="generated data set to reuse or create"
    )
    parser.add_argument("--home", type=Path, help="Neo4j folder to keep and reuse")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    return parser


def main() -> None:
    args = arguments_parser(__doc__).parse_args()
    print(
        f"command: python bench/graphql_latency.py {args.people} --requests {args.requests} | "
        f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        loaded_graph(args, Path(tmp)) as (
            settings,
            driver,
        ),
    ):
        proc: subprocess.Popen[bytes] | None = None
        try:
            t0 = time.perf_counter()
            done = segments.refresh(
                driver, segment_compile.load(None, default_ontology()), AS_OF
            )
            print(
                f"segments refreshed at {AS_OF:%Y-%m-%d} in {time.perf_counter() - t0:.1f} s "
                f"(slowest {max(r.seconds for r in done):.1f} s): "
                + ", ".join(f"{r.segment} {r.members:,}" for r in done),
                flush=True,
            )
            proc, url = serve(settings)
            rng = random.Random(args.seed)  # noqa: S311 - reproducible arguments, not secrets
            kinds = arguments(driver, rng)
            print(
                f"{'query':<28}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  errors"
            )
            with httpx.Client(timeout=30) as client:
                # Each segment's explanation is its own Cypher text: plan each once, as
                # the 20 warm-up requests per kind do for the other kinds.
                people = [r[0] for r in driver.execute_query(PEOPLE_SAMPLE)[0]]
                for segment in [r[0] for r in driver.execute_query(SEGMENT_IDS)[0]]:
                    send(client, url, (MEMBERSHIP, {"c": people[0], "s": segment}))
                for name, make in kinds.items():
                    for _ in range(20):
                        send(client, url, make())
                    times, errors = [], []
                    for _ in range(args.requests):
                        elapsed, error = send(client, url, make())
                        times.append(elapsed)
                        if error:
                            errors.append(error)
                    print(
                        f"{name:<28}{len(times):>6}{pct(times, 50):>9.1f}"
                        f"{pct(times, 95):>9.1f}{pct(times, 99):>9.1f}  {len(errors)}"
                        + (f" e.g. {errors[0]}" if errors else ""),
                        flush=True,
                    )
            mixed(url, list(kinds.values()), args.seed, api_pid=proc.pid)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


def mixed(
    url: str,
    kinds: list[Callable[[], Request]],
    seed: int,
    clients: int = 8,
    seconds: float = 20,
    api_pid: int | None = None,
) -> dict[str, Any]:
    """``clients`` clients, each on its own keep-alive connection, sending random kinds for
    ``seconds``; prints and returns throughput, p50, p99 and errors of the answered
    requests, and the number shed (503; the client then waits as Retry-After says).
    With ``api_pid`` it also prints the CPU spent per answered request by the machine,
    the API's processes, these clients and the rest (Neo4j, on a quiet machine): on 2
    cores the throughput is bounded by that sum, so it says what to make cheaper.

    The clients are coroutines in one asyncio loop speaking HTTP/1.1 through h11: on the
    same 2 cores as the API and Neo4j, a thread per client with httpx took 15% of a core
    and its threads' wait for the GIL showed up as latency; this takes about 4%."""
    done: list[float] = []  # answered requests (shed ones are counted apart)
    shed: list[float] = []
    errors: list[str] = []
    target = urlsplit(url)

    async def client(n: int, stop: float) -> None:
        rng = random.Random(seed + n)  # noqa: S311 - reproducible arguments
        reader, writer = await asyncio.open_connection(target.hostname, target.port)
        connection = h11.Connection(h11.CLIENT)
        try:
            while time.perf_counter() < stop:
                query, variables = rng.choice(kinds)()
                body = json.dumps({"query": query, "variables": variables}).encode()
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(30):
                        status, wait, answer = await _post(
                            reader, writer, connection, target, body
                        )
                    elapsed, error = time.perf_counter() - start, _error(status, answer)
                except TimeoutError:
                    elapsed, error = 30.0, "timeout"
                if error == "503":  # shed: back off as Retry-After asks, like a client
                    shed.append(elapsed)
                    await asyncio.sleep(wait)
                    continue
                done.append(elapsed)
                if error:
                    errors.append(error)
                if error == "timeout":
                    break  # the connection is in an unknown state
        finally:
            writer.close()

    async def run() -> float:
        t0 = time.perf_counter()
        stop = t0 + seconds
        await asyncio.gather(*(client(n, stop) for n in range(clients)))
        return time.perf_counter() - t0

    cpu = _CpuMeter(api_pid)
    wall = asyncio.run(run())
    spent = cpu.read()
    out = {
        "clients": clients,
        "rate": len(done) / wall,
        "p50": pct(done, 50),
        "p99": pct(done, 99),
        "errors": len(errors),
        "shed": len(shed),
        "requests": len(done),
    }
    print(
        f"mixed, {clients} clients: {out['rate']:.0f} requests/s, p50 {out['p50']:.1f} ms, "
        f"p99 {out['p99']:.1f} ms, {out['errors']} errors in {len(done):,} answered "
        f"requests; {len(shed):,} shed (503)"
        + (f", answered in p99 {pct(shed, 99):.1f} ms" if len(shed) > 1 else ""),
        flush=True,
    )
    if api_pid is not None and done:
        per = {k: v / len(done) * 1000 for k, v in spent.items()}
        print(
            f"  CPU per request: {per['machine']:.1f} ms = API {per['api']:.1f} + "
            f"clients {per['clients']:.1f} + rest (Neo4j) {per['rest']:.1f}",
            flush=True,
        )
    return out


class _CpuMeter:
    """CPU seconds used since creation by the whole machine (/proc/stat), by ``pid`` with
    its descendants, and by this process. Linux only, like the managed Neo4j."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.start = self._now()

    def read(self) -> dict[str, float]:
        now = self._now()
        used = {k: now[k] - self.start[k] for k in now}
        used["rest"] = used["machine"] - used["api"] - used["clients"]
        return used

    def _now(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        # user nice system idle iowait irq softirq steal (guest time is inside user)
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
        busy = (
            sum(map(int, fields)) - int(fields[3]) - int(fields[4])
        )  # minus idle, iowait
        mine = os.times()
        return {
            "machine": busy / tick,
            "api": _tree_cpu(self.pid) / tick if self.pid else 0.0,
            "clients": mine.user + mine.system,
        }


def _tree_cpu(root: int) -> int:
    """utime + stime, in clock ticks, of ``root`` and every live descendant."""
    stats: dict[int, tuple[int, int]] = {}  # pid -> (parent, ticks)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the command name may hold spaces: the fields after it are fixed
            rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        stats[int(entry.name)] = (int(rest[1]), int(rest[11]) + int(rest[12]))
    tree, total = {root}, 0
    for pid in sorted(stats):  # children have larger pids, except after pid wrap-around
        parent, ticks = stats[pid]
        if pid == root or parent in tree:
            tree.add(pid)
            total += ticks
    return total


async def _post(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connection: h11.Connection,
    target: SplitResult,
    body: bytes,
) -> tuple[int, float, bytes]:
    """One POST on a keep-alive connection: the status, Retry-After (s, 0 if none) and
    the body."""
    headers = [
        ("host", target.netloc),
        ("content-type", "application/json"),
        ("content-length", str(len(body))),
    ]
    writer.write(
        (
            connection.send(
                h11.Request(method="POST", target=target.path, headers=headers)
            )
            or b""
        )
        + (connection.send(h11.Data(data=body)) or b"")
        + (connection.send(h11.EndOfMessage()) or b"")
    )
    status, wait, chunks = 0, 0.0, []
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Response):
            status = event.status_code
            wait = float(dict(event.headers).get(b"retry-after", b"0"))
        elif isinstance(event, h11.Data):
            chunks.append(event.data)
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    connection.start_next_cycle()
    return status, wait, b"".join(chunks)


if __name__ == "__main__":
    main()
