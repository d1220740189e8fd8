"""Score a resolver's clustering against the generator's truth, without enumerating pairs.

A clustering maps each record key ``(source, source_id)`` to a cluster id; the truth maps it
to a person id. Cluster ids on the two sides are unrelated strings: only "same cluster or
not" matters. Scores are computed only over records present on *both* sides; records the
resolver never saw, or that the truth does not know, would otherwise count as misses or as
false merges for reasons that have nothing to do with matching, so the ``Report`` counts
them separately instead.

Pair counts come from the contingency table (predicted cluster x true person): a cluster of
n records holds C(n, 2) pairs, so a million records in clusters of thousands score in linear
time. Reading the truth CSV is the only I/O here.
"""

from __future__ import annotations

import csv
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from linkage.frame import row
from linkage.records import SourceRecord
from ontology.errors import C360Error

Key = tuple[str, str]
Pair = tuple[Key, Key]

_REQUIRED = ("source", "source_id", "person_id")


class TruthFileError(C360Error, ValueError):
    """The truth CSV cannot be used; also a ``ValueError`` so callers need not import us."""

    exit_code = 2


def _check_header(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    """Fail before reading rows, naming the file and every missing column at once."""
    if not header:
        raise TruthFileError(
            f"{path}: empty truth file, expected header {','.join(required)}"
        )
    missing = [c for c in required if c not in header]
    if missing:
        raise TruthFileError(
            f"{path}: missing required column(s) {', '.join(missing)}"
            f" (header: {','.join(header)})"
        )


def read_truth(path: Path) -> dict[Key, str]:
    """Read ``source,source_id,person_id`` (other columns ignored) into key -> person id.

    A key listed twice with different persons, or a row with an empty required value, is an
    error: a truth that contradicts itself would make every score meaningless.
    """
    truth: dict[Key, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        _check_header(path, list(reader.fieldnames or []), _REQUIRED)
        for row in reader:
            source, source_id, person = (row.get(c) or "" for c in _REQUIRED)
            if not (source and source_id and person):
                raise TruthFileError(
                    f"{path}:{reader.line_num}: empty source, source_id or person_id"
                )
            key = (source, source_id)
            seen = truth.setdefault(key, person)
            if seen != person:
                raise TruthFileError(
                    f"{path}:{reader.line_num}: {_fmt(key)} is person {person!r}"
                    f" here but {seen!r} on an earlier line"
                )
    return truth


def read_households(path: Path) -> dict[Key, str]:
    """Read key -> ``household_id`` from the same truth CSV; ``{}`` when it has no such column.

    Households are optional truth (FEBRL has none), so their absence is not an error; rows
    with an empty household id are left out rather than forming one giant "" household.
    """
    households: dict[Key, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        _check_header(path, header, ("source", "source_id"))
        if "household_id" not in header:
            return {}
        for row in reader:
            source, source_id = row.get("source") or "", row.get("source_id") or ""
            household = row.get("household_id") or ""
            if source and source_id and household:
                households[(source, source_id)] = household
    return households


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 with the counts behind them, so a ratio can be checked."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    def line(self) -> str:
        """The one-line form scripts grep for: ``precision=0.9876 recall=0.9543 f1=0.9707``."""
        return (
            f"precision={self.precision:.4f} recall={self.recall:.4f} f1={self.f1:.4f}"
        )


def _scores(tp: int, fp: int, fn: int) -> Scores:
    """Nothing predicted is perfectly precise and nothing to find is perfectly recalled (1.0),
    so a run with no links, or a truth of singletons, does not divide by zero."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp, fp, fn)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _common(
    predicted: Mapping[Key, str], truth: Mapping[Key, str]
) -> list[tuple[Key, str, str]]:
    """(key, predicted cluster, true person) for keys on both sides, in sorted key order."""
    small, large = (
        (predicted, truth) if len(predicted) <= len(truth) else (truth, predicted)
    )
    keys = sorted(k for k in small if k in large)
    return [(k, predicted[k], truth[k]) for k in keys]


def _contingency(
    predicted: Mapping[Key, str], truth: Mapping[Key, str]
) -> tuple[Counter[tuple[str, str]], Counter[str], Counter[str]]:
    """Cell, row and column sizes of the predicted-cluster x true-person table."""
    small, large = (
        (predicted, truth) if len(predicted) <= len(truth) else (truth, predicted)
    )
    cells = Counter((predicted[k], truth[k]) for k in small if k in large)
    rows: Counter[str] = Counter()
    cols: Counter[str] = Counter()
    for (cluster, person), n in cells.items():
        rows[cluster] += n
        cols[person] += n
    return cells, rows, cols


def pairwise(predicted: Mapping[Key, str], truth: Mapping[Key, str]) -> Scores:
    """Pairwise scores over record pairs put in one cluster, in O(n) from cluster sizes.

    A predicted pair is two records in the same predicted cluster; it is a true positive when
    both records are the same true person. Only keys present in both mappings count (records
    missing from either side are reported separately by ``evaluate``). Precision with no
    predicted pairs is 1.0 and recall with no true pairs is 1.0, by convention.
    """
    cells, rows, cols = _contingency(predicted, truth)
    tp = sum(_pairs(n) for n in cells.values())
    predicted_pairs = sum(_pairs(n) for n in rows.values())
    true_pairs = sum(_pairs(n) for n in cols.values())
    return _scores(tp, predicted_pairs - tp, true_pairs - tp)


def cluster_scores(predicted: Mapping[Key, str], truth: Mapping[Key, str]) -> Scores:
    """Cluster-level scores: how many whole people the resolver got exactly right.

    A predicted cluster is a true positive when its record set equals one true person's
    record set (singletons included). precision = exact / predicted clusters, recall =
    exact / true clusters, both over keys present on both sides. Harsher than pairwise: one
    stray record spoils a whole cluster, which is what a customer record shown whole sees.
    """
    cells, rows, cols = _contingency(predicted, truth)
    exact = sum(1 for (c, p), n in cells.items() if n == rows[c] and n == cols[p])
    return _scores(exact, len(rows) - exact, len(cols) - exact)


def pair_scores(predicted_pairs: Iterable[Pair], truth: Mapping[Key, str]) -> Scores:
    """Scores for a prediction given as pairs (link-only tasks such as FEBRL4).

    Pairs are unordered and deduplicated; self-pairs and pairs with a key the truth does not
    know are ignored (as ``pairwise`` ignores keys missing on one side). True pairs are all
    same-person pairs across the truth, so a link-only truth should hold only the records
    being linked.
    """
    seen: set[Pair] = set()
    for a, b in predicted_pairs:
        if a != b and a in truth and b in truth:
            seen.add((a, b) if a < b else (b, a))
    tp = sum(1 for a, b in seen if truth[a] == truth[b])
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    return _scores(tp, len(seen) - tp, true_pairs - tp)


def _split_pairs(rows: Iterable[tuple[Key, str, str]], limit: int) -> list[Pair]:
    """Up to ``limit`` smallest pairs joining two sub-groups of one group.

    ``rows`` are (key, group, sub-group) in key order. Each group with k sub-groups yields
    k - 1 pairs: the smallest key of its first sub-group with the smallest key of each other
    sub-group, so a cluster of thousands costs its size, never its pair count.
    """
    firsts: dict[str, dict[str, Key]] = defaultdict(dict)
    for key, group, sub in rows:
        firsts[group].setdefault(
            sub, key
        )  # keys arrive sorted: the first is the smallest
    candidates: list[Pair] = []
    for subs in firsts.values():
        if len(subs) > 1:
            heads = sorted(subs.values())
            candidates.extend((heads[0], other) for other in heads[1:])
    return heapq.nsmallest(limit, candidates)


def examples(
    predicted: Mapping[Key, str], truth: Mapping[Key, str], limit: int = 5
) -> tuple[list[Pair], list[Pair]]:
    """Up to ``limit`` false-merge and missed-merge pairs to read, sorted, in O(n log n).

    False merge: same predicted cluster, different true persons. Missed merge: same true
    person, different predicted clusters. One pair per extra person (or extra cluster) in a
    group, so examples spread over many clusters instead of one big one. Each pair is
    ordered (smaller key first) and the lists are sorted, so reruns print the same lines.
    """
    rows = _common(predicted, truth)
    false_merges = _split_pairs(rows, limit)
    missed_merges = _split_pairs(((k, p, c) for k, c, p in rows), limit)
    return false_merges, missed_merges


def household_precision(
    predicted: Mapping[Key, str],
    truth: Mapping[Key, str],
    households: Mapping[Key, str],
) -> Scores:
    """Pairwise scores restricted to pairs of records in the same true household.

    Partners share an address and often a phone, the classic false merge, so this isolates
    "household members kept apart". Over keys present in all three mappings, for pairs of
    records in one household:

    - precision = same-person pairs predicted together / all pairs predicted together;
      false positives are household members wrongly merged into one person;
    - recall = same-person pairs predicted together / same-person pairs; false negatives
      are one person's records in a household left apart.

    The same 1.0 conventions as ``pairwise`` apply when there is nothing to count.
    """
    together: Counter[tuple[str, str]] = Counter()
    together_same: Counter[tuple[str, str, str]] = Counter()
    same: Counter[tuple[str, str]] = Counter()
    for key, household in households.items():
        cluster, person = predicted.get(key), truth.get(key)
        if cluster is None or person is None:
            continue
        together[(household, cluster)] += 1
        together_same[(household, cluster, person)] += 1
        same[(household, person)] += 1
    tp = sum(_pairs(n) for n in together_same.values())
    predicted_pairs = sum(_pairs(n) for n in together.values())
    true_pairs = sum(_pairs(n) for n in same.values())
    return _scores(tp, predicted_pairs - tp, true_pairs - tp)


@dataclass(frozen=True)
class Report:
    """Everything one evaluation prints, computed once so the CLI only formats."""

    pairwise: Scores
    cluster: Scores
    household: Scores | None
    false_merges: tuple[Pair, ...]
    missed_merges: tuple[Pair, ...]
    records: int
    only_predicted: int
    only_truth: int


def evaluate(
    predicted: Mapping[Key, str],
    truth: Mapping[Key, str],
    households: Mapping[Key, str] | None = None,
    limit: int = 5,
) -> Report:
    """Build the ``Report``; ``households`` empty or ``None`` means no household score."""
    false_merges, missed_merges = examples(predicted, truth, limit)
    both = sum(1 for k in predicted if k in truth)
    return Report(
        pairwise=pairwise(predicted, truth),
        cluster=cluster_scores(predicted, truth),
        household=(
            household_precision(predicted, truth, households) if households else None
        ),
        false_merges=tuple(false_merges),
        missed_merges=tuple(missed_merges),
        records=both,
        only_predicted=len(predicted) - both,
        only_truth=len(truth) - both,
    )


def _fmt(key: Key) -> str:
    return f"{key[0]}:{key[1]}"


def _counts(s: Scores) -> str:
    return f"tp={s.true_positives} fp={s.false_positives} fn={s.false_negatives}"


def format_report(report: Report) -> list[str]:
    """Lines for the CLI; the last is always ``report.pairwise.line()`` for scripts to parse."""
    lines = [
        f"records: {report.records} scored, {report.only_predicted} only in prediction,"
        f" {report.only_truth} only in truth",
        f"clusters: {report.cluster.line()} (exact={report.cluster.true_positives}"
        f" predicted={report.cluster.true_positives + report.cluster.false_positives}"
        f" true={report.cluster.true_positives + report.cluster.false_negatives})",
    ]
    if report.household is not None:
        lines.append(
            f"households: {report.household.line()} ({_counts(report.household)};"
            " fp = household members merged)"
        )
    lines.extend(f"false merge: {_fmt(a)} + {_fmt(b)}" for a, b in report.false_merges)
    lines.extend(
        f"missed merge: {_fmt(a)} + {_fmt(b)}" for a, b in report.missed_merges
    )
    lines.append(f"pairwise: {_counts(report.pairwise)}")
    lines.append(report.pairwise.line())
    return lines


def name_only_share(records: Sequence[SourceRecord], truth: Mapping[Key, str]) -> float:
    """Share of true people (with 2+ records) whose records no chain of shared exact
    identifiers connects: what only name evidence can link, so a bound on how far
    precision-safe linkage can go on a data set."""
    fields = ("email", "phone", "app_account", "club_members", "vins")
    by_person: dict[str, list[int]] = {}
    rows = [row(r) for r in records]
    for i, r in enumerate(records):
        if r.key in truth:
            by_person.setdefault(truth[r.key], []).append(i)
    split = multi = 0
    for members in by_person.values():
        if len(members) < 2:
            continue
        multi += 1
        parent = {i: i for i in members}
        seen: dict[tuple[str, str], int] = {}
        for i in members:
            for f in fields:
                value = rows[i][f]
                for v in value if isinstance(value, list) else [value]:
                    if v is None:
                        continue
                    if (f, v) in seen:
                        parent[_root(parent, i)] = _root(parent, seen[(f, v)])
                    else:
                        seen[(f, v)] = i
        split += len({_root(parent, i) for i in members}) > 1
    return split / multi if multi else 0.0


def _root(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        i = parent[i]
    return i
