"""Why are true people split? Classifies the missed merges of a resolution on generated data.

Run: .venv/bin/python bench/missed.py [PEOPLE] [--data DIR] [--seed S] [--examples N]
     (default 20000 people, seed 7; resolves only, no Neo4j)

For each true person whose records end in two or more customers, every extra customer is one
missed merge, and the strongest evidence the resolver kept between the two says why:

- ``review p=X``: the model scored a pair across them below the auto-match threshold (X is
  the best probability, rounded down to a tenth);
- ``held: ambiguous``: a nameless record shares a contact point with differently named people;
- ``separated: <guard>``: a clustering guard refused the union;
- ``no evidence``: no blocking rule brought any pair of them together, or their best score was
  below the review threshold.

Prints the counts per reason and per source of the smaller side, then examples to read.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from api.pipeline import resolve_sources
from linkage import frame
from linkage.evaluate import Key, cluster_scores, pairwise, read_truth
from linkage.generate.run import generate
from linkage.records import SourceRecord
from linkage.resolve import AMBIGUOUS, PairEvidence
from linkage.settings import default as default_linkage
from ontology.model import default as default_ontology


def reason(p: PairEvidence | None) -> str:
    if p is None:
        return "no evidence"
    if p.reason == AMBIGUOUS:
        return "held: ambiguous"
    if p.decision == "separated":
        return f"separated: {p.reason}"
    return f"review p={int((p.score or 0) * 10) / 10:.1f}"


def rank(p: PairEvidence) -> tuple[int, float]:
    return ({"separated": 2, "review": 1}.get(p.decision, 0), p.score or 0.0)


def describe(r: SourceRecord) -> str:
    row = frame.row(r)
    fields = ("given", "family", "email", "phone", "country", "dealer", "events")
    return f"{r.source:<18} " + " ".join(
        f"{f}={row[f]}" for f in fields if row[f] is not None
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("people", nargs="?", type=int, default=20_000)
    parser.add_argument(
        "--data", type=Path, help="generated data set to reuse or create"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        if not (data / "sources.toml").exists():
            generate(args.people, args.seed, data)
        _, _, records, res = resolve_sources(
            data / "sources.toml", default_ontology(), default_linkage()
        )
        truth = read_truth(data / "truth" / "truth.csv")
    predicted = {r.key: c.id for c in res.customers for r in c.records}
    print(f"command: python bench/missed.py {args.people} (seed {args.seed})")
    print(f"cluster {cluster_scores(predicted, truth).line()}")
    print(f"pairwise {pairwise(predicted, truth).line()}")

    best: dict[tuple[str, str], PairEvidence] = {}
    for p in res.pairs:
        a, b = predicted.get(p.a), predicted.get(p.b)
        if a is None or b is None or a == b:
            continue
        pair = (min(a, b), max(a, b))
        if pair not in best or rank(p) > rank(best[pair]):
            best[pair] = p
    members: dict[str, list[Key]] = collections.defaultdict(list)
    for key, cid in predicted.items():
        members[cid].append(key)
    split: dict[str, set[str]] = collections.defaultdict(set)
    for key, person in truth.items():
        if key in predicted:
            split[person].add(predicted[key])
    by_key = {r.key: r for r in records}

    reasons: collections.Counter[str] = collections.Counter()
    sources: collections.Counter[tuple[str, str]] = collections.Counter()
    examples: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
    for person, customers in sorted(split.items()):
        first, *others = sorted(customers)
        for other in others:
            why = reason(best.get((min(first, other), max(first, other))))
            reasons[why] += 1
            sides = [
                "+".join(sorted({k[0] for k in members[c] if truth.get(k) == person}))
                for c in (first, other)
            ]
            sources[(why, min(sides, key=len))] += 1
            if len(examples[why]) < args.examples:
                examples[why].append((person, first, other))
    total = sum(reasons.values())
    print(
        f"missed merges: {total} (people split: {sum(len(c) > 1 for c in split.values())})"
    )
    for why, n in reasons.most_common():
        print(f"  {n:7,}  {why}")
    print("by reason and the sources of the smaller side:")
    for (why, side), n in sources.most_common(15):
        print(f"  {n:7,}  {why:<30} {side}")
    for why, cases in examples.items():
        print(f"\n## {why}")
        for person, *customers in cases:
            print(f"  person {person}")
            for cid in customers:
                for key in sorted(members[cid]):
                    mark = (
                        ""
                        if truth.get(key) == person
                        else f"  (other person {truth.get(key)})"
                    )
                    print(f"    {cid[:8]} {describe(by_key[key])}{mark}")


if __name__ == "__main__":
    main()
