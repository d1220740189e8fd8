"""Load test: the mixed GraphQL workload at rising concurrency, through uvicorn, loopback only.

Run: .venv/bin/python bench/load_test.py [PEOPLE] [--data DIR] [--home DIR] [--seconds S]
     [--levels 1,8,32,64,128] [--workers N]   (default 100000 people, 60 s per level, 1 worker)

The graph, server and arguments are bench/graphql_latency.py's (``--home`` reuses a loaded
Neo4j folder). After a 30 s warm-up at 16 clients, each level runs that many clients
(coroutines in one asyncio loop, ``graphql_latency.mixed``), each on its own keep-alive
connection, sending random query kinds for S seconds, and prints requests/s, p50, p99,
errors, and requests the API shed with 503 + Retry-After (its ``C360_MAX_IN_FLIGHT``
limit). The clients run on the same 2 cores as the API and Neo4j (about 4% of a core).
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import tempfile
from pathlib import Path

from graphql_latency import (  # bench/ is on sys.path when run as a script
    arguments,
    arguments_parser,
    loaded_graph,
    mixed,
    serve,
)


def main() -> None:
    parser = arguments_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--levels", default="1,8,32,64,128")
    parser.add_argument("--workers", type=int, default=1, help="c360 serve --workers")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    print(
        f"command: python bench/load_test.py {args.people} --seconds {args.seconds:g} "
        f"--levels {args.levels} --workers {args.workers} | {platform.node()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, "
        f"C360_MAX_IN_FLIGHT={os.environ.get('C360_MAX_IN_FLIGHT', '64 (default)')}, "
        f"C360_CONCURRENCY={os.environ.get('C360_CONCURRENCY', '4 (default)')}",
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
            proc, url = serve(settings, args.workers)
            kinds = list(arguments(driver, random.Random(args.seed)).values())  # noqa: S311
            mixed(
                url, kinds, args.seed, clients=16, seconds=30
            )  # warm-up, not reported
            print("--- levels")
            for clients in levels:
                mixed(
                    url,
                    kinds,
                    args.seed,
                    clients=clients,
                    seconds=args.seconds,
                    api_pid=proc.pid,
                )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
