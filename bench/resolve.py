"""Identity-resolution quality and speed: FEBRL4, FEBRL3 and generated people, each in a fresh process.

Run: .venv/bin/python bench/resolve.py [febrl4] [febrl3] [PEOPLE...] [FOLDER...]
     (default: febrl4 febrl3 100000)
Generated data is written to a temporary folder outside the timed part (a FOLDER the
generator wrote before is used as it is: the same data for runs of two commits, each with
PYTHONPATH set to its checkout); the timed part is
ingest + validation + resolution (no Neo4j write). Quality is measured against the truth
files after the run. "RSS MB" is the resolving process's peak; "helper MB" the largest peak of
its helper processes (they run while it ingests and makes keys, not while it scores).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from linkage.generate.run import generate

CHILD = """
import json, resource, sys, time
from pathlib import Path
from linkage import evaluate, febrl, helper
from linkage import settings as linkage_settings
what = sys.argv[1]
t0 = time.perf_counter()
if what.startswith("febrl"):
    result = febrl.run(what)
    report, records, stages = result.report, result.records, result.timings
else:
    from api.pipeline import resolve_sources
    from ontology.model import default
    folder = Path(sys.argv[2])
    _, gate, recs, res = resolve_sources(folder / "sources.toml", default(), linkage_settings.default())
    truth = folder / "truth" / "truth.csv"
    elapsed = time.perf_counter() - t0
    report = evaluate.evaluate(res.assignment(), evaluate.read_truth(truth), evaluate.read_households(truth))
    records, stages = len(recs), {"ingest+validate": elapsed - sum(res.timings.values()), **res.timings}
    name_only = evaluate.name_only_share(recs, evaluate.read_truth(truth))
seconds = sum(stages.values())
h = report.household
print(json.dumps({"what": what, "records": records, "seconds": seconds, "stages": stages,
    "precision": report.pairwise.precision, "recall": report.pairwise.recall, "f1": report.pairwise.f1,
    "false_merges": report.pairwise.false_positives, "cluster_f1": report.cluster.f1,
    "household_precision": h.precision if h else None,
    "name_only": None if what.startswith("febrl") else name_only,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "helper_rss_mb": helper.peak_mb()}))
"""


def main() -> None:
    targets = sys.argv[1:] or ["febrl4", "febrl3", "100000"]
    print(f"command: python bench/resolve.py {' '.join(targets)}")
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'data':>10} {'records':>9} {'seconds':>8} {'rec/s':>7} {'precision':>9} {'recall':>7}"
        f" {'F1':>7} {'FP':>6} {'clusterF1':>9} {'hhP':>6} {'RSS MB':>7} {'helper MB':>9}  stages (s)"
    )
    for target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            args = [target]
            if Path(target, "sources.toml").is_file():
                args.append(target)
            elif not target.startswith("febrl"):
                generate(int(target), 7, Path(tmp) / "data")
                args.append(f"{tmp}/data")
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, *args],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                print(f"{target}: failed\n{proc.stderr[-2000:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
        hh = (
            "-"
            if r["household_precision"] is None
            else f"{r['household_precision']:.4f}"
        )
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        what = r["what"]
        name = f"{int(what):,}p" if what.isdigit() else Path(what).name
        print(
            f"{name:>10} {r['records']:>9,} {r['seconds']:>8.1f} {r['records'] / r['seconds']:>7,.0f}"
            f" {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} {r['false_merges']:>6}"
            f" {r['cluster_f1']:>9.4f} {hh:>6} {r['peak_rss_mb']:>7.0f} {r['helper_rss_mb']:>9.0f}  {stages}"
        )
        if r.get("name_only") is not None:
            print(
                f"{'':>10} people whose records no shared identifier (email, phone, app account, "
                f"club number, VIN) connects: {r['name_only']:.1%}; only their names can link them"
            )


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t0:.0f}s")
