"""Generator speed and memory: people/s and peak RSS per size, each size in a fresh process.

Run: .venv/bin/python bench/generate.py [SIZES...]   (default: 1000 100000 1000000)
The output folder is a temporary directory, removed afterwards.

The generator is one single-threaded process, so its wall time equals its CPU time only on
a machine with a core to spare: "on CPU" below 100% means other jobs shared the cores (half
the wall time on CPU is a busy machine, not a slower generator).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, resource, sys, time
from pathlib import Path
from linkage.generate.run import generate
people, out = int(sys.argv[1]), Path(sys.argv[2])
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
t0, c0 = time.perf_counter(), cpu()
result = generate(people, 7, out)
elapsed, used = time.perf_counter() - t0, cpu() - c0
size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"people": people, "seconds": elapsed, "cpu": used,
                  "rows": sum(result.records.values()), "bytes": size,
                  "peak_rss_mb": usage.ru_maxrss / 1024}))
"""


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 100_000, 1_000_000]
    print(f"command: python bench/generate.py {' '.join(map(str, sizes))}")
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'people':>9} {'seconds':>8} {'CPU s':>7} {'on CPU':>6} {'people/s':>9} {'rows':>10} "
        f"{'MB on disk':>10} {'peak RSS MB':>11}"
    )
    for people in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(people), f"{tmp}/data"],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{r['people']:>9} {r['seconds']:>8.1f} {r['cpu']:>7.1f} {r['cpu'] / r['seconds']:>6.0%} "
            f"{r['people'] / r['seconds']:>9,.0f} {r['rows']:>10,} {r['bytes'] / 1e6:>10.1f} "
            f"{r['peak_rss_mb']:>11.0f}"
        )


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.0f}s")
