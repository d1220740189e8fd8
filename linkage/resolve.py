"""Batch identity resolution: source records in, one ``Resolution`` out. Writes nothing.

normalise (``frame``) -> deterministic rules (``rules``) + Splink scores (``score``) ->
guarded clustering (``cluster``) -> stable IDs (``ids``) -> golden records
(``survivorship``) -> households. Every customer keeps which records it came from and
why; every pair the decision hinged on (linked, sent to review, or kept apart by a guard)
is kept as evidence.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd
from splink import DuckDBAPI

from linkage import batch_gc, rules, score
from linkage import frame as frames
from linkage import records as rec
from linkage.blocks import stored_keys
from linkage.cluster import Clustering, Edge, Person, cluster, names_compatible
from linkage.helper import Helper, processes
from linkage.households import Household, Shared, households
from linkage.ids import Assigned, Key, assign
from linkage.normalise.names import display_name
from linkage.records import ClubClaim, Quarantined, SourceRecord, VehicleClaim
from linkage.settings import LinkageSettings
from linkage.spool import HandOff, Spool
from linkage.survivorship import Golden, pick
from ontology.errors import C360Error

Progress = Callable[[str, int, int], None]
MANUAL, RULE, SCORED = 3.0, 2.0, 1.0  # edge strengths: manual beats rules beats scores
CO_ATTENDED = 0.5  # a review-band score with an event both clusters were at: last
CO_ATTENDANCE = "co_attendance"  # its rule name on the link
MANUAL_MERGE = "manual_merge"  # the rule of a merge made by hand (``c360 merge``)


def at_one_event(event: str | None) -> str:
    """The reason a co-attendance link gives (its pair's ``decisionReason``)."""
    return f"both at event {event}"


class Engine(StrEnum):
    """Where Splink trains and scores: DuckDB in process, or Spark beyond one machine."""

    DUCKDB = "duckdb"
    SPARK = "spark"


@dataclass(frozen=True, slots=True)
class Link:
    """Why a record belongs to its customer: the rule, the record it matched, the score."""

    record: Key
    rule: str
    matched: Key | None = None
    value: str | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """One decided pair: linked (joined two clusters), review, or separated (a guard)."""

    a: Key
    b: Key
    decision: str
    rule: str
    score: float | None
    reason: str | None = None
    features: tuple[tuple[str, float], ...] = ()  # comparison -> log2 Bayes factor


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    given_name: str | None
    family_name: str | None
    display_name: str
    country: str | None
    preferred_dealer: str | None
    birth_date: str | None
    language: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    records: tuple[SourceRecord, ...]
    links: tuple[Link, ...]
    vehicles: tuple[VehicleClaim, ...]
    clubs: tuple[ClubClaim, ...]
    golden: tuple[tuple[str, Golden], ...]
    absorbed: tuple[str, ...] = ()
    split_from: tuple[str, ...] = ()
    household: str | None = None


@dataclass(frozen=True)
class Decisions:
    """Manual, audited decisions that every run honours."""

    merge: tuple[tuple[Key, Key], ...] = ()
    never: tuple[tuple[Key, Key], ...] = ()


NO_DECISIONS = Decisions()


@dataclass
class Resolution:
    customers: list[Customer]
    households: list[Household]  # members are indexes into ``customers``
    pairs: list[PairEvidence]
    quarantined: list[Quarantined]
    model: dict[str, Any]
    version: str
    junk: dict[str, list[str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # each record's hashed blocking and household keys, from the rows already normalised
    # (the graph stores them so an incremental run finds candidates and homes by index)
    blocks: dict[Key, list[str]] = field(default_factory=dict)

    def assignment(self) -> dict[Key, str]:
        return {r.key: c.id for c in self.customers for r in c.records}


def dedupe(
    records: Iterable[SourceRecord],
) -> tuple[list[SourceRecord], list[Quarantined]]:
    """One record per (source, source_id): the latest update wins, conflicting others are quarantined."""
    by_key: dict[Key, list[SourceRecord]] = {}
    for r in records:
        by_key.setdefault(r.key, []).append(r)
    kept, dropped = [], []
    for key in sorted(by_key):
        group = sorted(by_key[key], key=lambda r: r.updated_at or "", reverse=True)
        kept.append(group[0])
        for other in group[1:]:
            if other != group[0]:
                dropped.append(
                    Quarantined(
                        f"{key[0]}/{key[1]}",
                        "duplicate source id with conflicting content; the latest update was kept",
                        repr(other)[:200],
                    )
                )
    return kept, dropped


def resolve(
    records: Iterable[SourceRecord],
    settings: LinkageSettings,
    previous: Mapping[Key, str] | None = None,
    decisions: Decisions = NO_DECISIONS,
    model: dict[str, Any] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    engine: Engine = Engine.DUCKDB,
) -> Resolution:
    """Resolve ``records``; ``previous`` (record -> customer ID) keeps IDs stable.

    ``workers`` 2 makes the comparison keys in two processes (the default with two cores
    or more, from ``PARALLEL_FROM_RECORDS`` records); the result is the same.
    ``engine`` runs Splink's training and scoring on DuckDB or on Spark; the rules,
    clustering and golden records are the same code either way.
    """
    clock = _Clock(progress)
    recs, quarantined = dedupe(records)
    clock.begin("normalise", len(recs))
    # Each record's key made once: evidence and links refer to it from many places.
    keys = [r.key for r in recs]
    index = {k: i for i, k in enumerate(keys)}
    columns, people, blocks = _keys(recs, keys, settings, workers)
    table = frames.columns_table(columns)
    del columns
    clock.begin("rules", len(recs))
    with _duckdb(settings) as con:
        con.register("frame", table)
        found = rules.match(con, settings.identity_rules, settings.max_block)
        shared = rules.match(con, settings.household_rules, settings.max_block).pairs
        clock.begin("scoring", len(recs))
        pairs, trained = _score(con, table, settings, model, engine)
    del table  # DuckDB's tables and the frame it held are not needed any more
    if model is None:
        model = trained
    clock.begin("clustering", len(recs))
    edges = _edges(found.pairs, pairs, decisions, index, settings)
    never = [
        (index[a], index[b]) for a, b in decisions.never if a in index and b in index
    ]
    guards = settings.guards
    edges, ambiguous = _hold_out_ambiguous(people, edges, settings)
    clustering = cluster(people, edges, never, guards, _co_attended(pairs, settings))
    del edges, people
    clock.begin("golden records", len(recs))
    # The evidence first: then the scored pairs, the largest table, can go.
    evidence = _evidence(keys, clustering, pairs) + [
        PairEvidence(keys[e.a], keys[e.b], "review", e.rule, e.score, AMBIGUOUS)
        for e in ambiguous
    ]
    del pairs
    groups = clustering.clusters()
    assigned = assign([[keys[i] for i in g] for g in groups], previous or {})
    best = _best_edges(clustering)
    customers = [
        _customer(recs, keys, g, a, best, settings)
        for g, a in zip(groups, assigned, strict=True)
    ]
    homes = _households(shared, settings, groups, customers)
    for h in homes:
        for m in h.members:
            customers[m] = replace(customers[m], household=h.id)
    clock.end()
    order = sorted(range(len(customers)), key=lambda i: customers[i].id)
    where = {old: new for new, old in enumerate(order)}
    homes = [
        Household(h.id, tuple(sorted(where[m] for m in h.members)), h.evidence)
        for h in homes
    ]
    return Resolution(
        customers=[customers[i] for i in order],
        households=homes,
        pairs=evidence,
        quarantined=quarantined,
        model=model,
        version=settings.version,
        junk=found.junk,
        timings=clock.timings,
        blocks=blocks,
    )


AMBIGUOUS = (
    "ambiguous: a nameless record shares a contact point with differently named people"
)


def _keys(
    recs: Sequence[SourceRecord],
    keys: Sequence[Key],
    settings: LinkageSettings,
    workers: int | None,
    batch: int | None = None,
) -> tuple[dict[str, list[Any]], list[Person], dict[Key, list[str]]]:
    """Each record's comparison keys (by column), guard facts and block keys.

    Row by row: what the guards and the blocking keys need is taken from each row while
    it exists, so the dicts (a kilobyte each) never all live at once. A person's records
    repeat most of their keys (the same email, names, country, blocking hashes): each
    distinct text is kept once, whichever record made it. With two cores a helper
    process makes the keys of the last records meanwhile.
    """
    people: list[Person] = []
    blocks: dict[Key, list[str]] = {}
    columns: dict[str, list[Any]] = {c: [] for c in frames.COLUMNS}
    share = cast("dict[str, str]", {}).setdefault
    mine = _own_share(len(recs), workers)
    helper = None
    if mine < len(recs):
        theirs: Spool[SourceRecord] = Spool(rec.to_plain, rec.from_plain, named=True)
        theirs.extend(recs[mine:])
        helper = Helper(keys_in_helper, theirs.hand_off(), settings, batch or BATCH)
    try:
        for key, r in zip(keys[:mine], recs[:mine], strict=True):
            row = {
                k: share(v, v) if type(v) is str else v
                for k, v in frames.row(r).items()
            }
            for name, values in columns.items():
                values.append(row[name])
            people.append(guard_person(row, settings))
            blocks[key] = [share(k, k) for k in stored_keys(row, settings)]
    except BaseException:
        if helper is not None:
            helper.discard(lambda h: os.unlink(h.path))
        raise
    if helper is None:
        return columns, people, blocks
    made: Spool[tuple[Any, ...]] = Spool(_same, _same)
    made.receive(helper.result())
    at = mine  # the record the next batch of the helper's keys starts at
    # Column by column, a batch at a time: a loop per value would undo what the helper saved.
    for batch_columns, names, exclusive, once, events, hashes in made:
        for values, column in zip(columns.values(), batch_columns, strict=True):
            values += [share(v, v) if type(v) is str else v for v in column]
        people += [
            Person(
                tuple((share(g, g), f and share(f, f)) for g, f in n),
                tuple((c, share(v, v)) for c, v in x),
                o,
                e,
            )
            for n, x, o, e in zip(names, exclusive, once, events, strict=True)
        ]
        for key, h in zip(keys[at : at + len(hashes)], hashes, strict=True):
            blocks[key] = [share(k, k) for k in h]
        at += len(hashes)
    if at != len(recs):
        raise RuntimeError(
            f"the helper made keys for {at - mine} of {len(recs) - mine} records"
        )
    return columns, people, blocks


# Below this many records one process makes the keys: a helper takes a second to start.
PARALLEL_FROM_RECORDS = 40_000
BATCH = 5_000  # records per item of the helper's keys spool


def _own_share(records: int, workers: int | None) -> int:
    """How many of the records (the first ones) this process makes the keys of."""
    # A little over half: reading the helper's keys back is work for this process too.
    if processes(workers, records, PARALLEL_FROM_RECORDS) == 1:
        return records
    return records * 11 // 20


def _same(value: Any) -> Any:
    return value  # keys are built-in types already: the spool stores them as they are


def keys_in_helper(
    records: HandOff, settings: LinkageSettings, batch: int = BATCH
) -> HandOff:
    """In a helper process: the records' comparison keys, guard facts and block keys,
    handed back in a spool file, one item per ``batch`` records, column by column
    (``frame.COLUMNS`` order)."""
    with batch_gc.paused():
        given: Spool[SourceRecord] = Spool(rec.to_plain, rec.from_plain)
        given.receive(records)
        made: Spool[tuple[Any, ...]] = Spool(_same, _same, chunk=1, named=True)
        try:
            return _keys_into(made, given, settings, batch)
        except BaseException:
            made.discard()  # its named file goes with it
            raise


def _keys_into(
    made: Spool[tuple[Any, ...]],
    given: Iterable[SourceRecord],
    settings: LinkageSettings,
    size: int,
) -> HandOff:
    """Each record's keys into ``made``, one item per ``size`` records, then ``made``
    handed off."""
    batch: list[tuple[Any, ...]] = []
    for r in given:
        row = frames.row(r)
        p = guard_person(row, settings)
        batch.append(
            (
                p.names,
                p.exclusive,
                p.once,
                p.events,
                stored_keys(row, settings),
                *(row[c] for c in frames.COLUMNS),
            )
        )
        if len(batch) == size:
            made.append(_by_column(batch))
            batch = []
    if batch:
        made.append(_by_column(batch))
    return made.hand_off()


def _by_column(batch: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    names, exclusive, once, events, hashes, *columns = map(
        list, zip(*batch, strict=True)
    )
    return (tuple(columns), names, exclusive, once, events, hashes)


def guard_person(row: Mapping[str, Any], settings: LinkageSettings) -> Person:
    """What one record brings to the clustering guards (names, exclusive values, source)."""
    spellings = [
        (row["given"], row["family"]),
        (row["given_canon"], row["family"]),
        *((formal, row["family"]) for formal in row.get("given_formals") or ()),
        (row["given_skeleton"], row["family_skeleton"]),
    ]
    source = str(row["source"])
    return Person(
        names=tuple(dict.fromkeys((g, f) for g, f in spellings if g)),
        exclusive=tuple(
            (col, str(row[col]))
            for col in settings.exclusive
            if row.get(col) is not None
        ),
        once=source if source in settings.deduplicated_sources else None,
        events=frozenset(row["events"] or ()),
    )


def _hold_out_ambiguous(
    people: Sequence[Person], edges: list[Edge], settings: LinkageSettings
) -> tuple[list[Edge], list[Edge]]:
    """A nameless record (a survey answer with only a family email) whose named neighbours
    are different people cannot say whose it is: its edges go to review, not clustering,
    except a manual merge, a rule on an exclusive identifier (the app account it
    answered from names one person), or edges to the one person among them who was at an
    event the record is about."""
    similarity = settings.given_name_similarity
    neighbours: dict[int, list[int]] = {}
    for e in edges:
        for me, other in ((e.a, e.b), (e.b, e.a)):
            if not people[me].names and people[other].names:
                neighbours.setdefault(me, []).append(other)

    def several(others: Iterable[int]) -> bool:
        names = [set(people[o].names) for o in others]
        return any(
            not names_compatible(x, y, similarity)
            for i, x in enumerate(names)
            for y in names[i + 1 :]
        )

    ambiguous: dict[int, set[int]] = {}  # record -> the neighbours it may still join
    for me, others in neighbours.items():
        others = list(dict.fromkeys(others))
        if not several(others):
            continue
        # Co-attendance: a survey about an event belongs to whoever of them was there.
        there = [o for o in others if people[o].events & people[me].events]
        ambiguous[me] = set(there) if there and not several(there) else set()
    identifying = identifying_rules(settings)
    kept, held = [], []
    for e in edges:
        unsure = (e.a in ambiguous and e.b not in ambiguous[e.a]) or (
            e.b in ambiguous and e.a not in ambiguous[e.b]
        )
        if unsure and e.strength < MANUAL and e.rule not in identifying:
            held.append(e)
        else:
            kept.append(e)
    return kept, held


def identifying_rules(settings: LinkageSettings) -> frozenset[str]:
    """Identity rules on an exclusive identifier (an app account names one person): they
    join a nameless record even where its contact point is shared."""
    return frozenset(
        r.name
        for r in settings.identity_rules
        if any(c.field in settings.exclusive for c in r.criteria)
    )


@contextmanager
def _duckdb(settings: LinkageSettings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB held to ``model.memory_mb``, spilling to a folder of its own."""
    with tempfile.TemporaryDirectory(prefix="c360-duckdb-") as spill:
        con = duckdb.connect(
            config={
                "memory_limit": f"{settings.model.memory_mb}MB",
                "temp_directory": spill,
            }
        )
        try:
            yield con
        finally:
            con.close()


def _score(
    con: duckdb.DuckDBPyConnection,
    table: pd.DataFrame,
    settings: LinkageSettings,
    model: dict[str, Any] | None,
    engine: Engine,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Scored pairs at or above the review threshold, and the model that scored them, in
    DuckDB's SQL whatever the engine (incremental resolution and ``why`` score on DuckDB)."""
    if engine is Engine.SPARK:
        return _score_on_spark(table, settings, model)
    linker = score.linker_for(table, DuckDBAPI(connection=con), settings, model)
    if model is None:
        score.train(linker, settings)
    return score.predict(linker, settings.review), score.model_json(linker, settings)


def _score_on_spark(
    table: pd.DataFrame, settings: LinkageSettings, model: dict[str, Any] | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        from linkage import spark
    except ImportError as e:  # pyspark is an extra
        raise C360Error(
            f"the Spark engine needs pyspark ({e}): pip install -e '.[spark]'"
        ) from None
    session = spark.session()  # the running one (spark-submit's) if there is one
    trained = model or spark.train_on_spark(table, settings, session)
    pairs = spark.score_on_spark(table, settings, trained, session)
    if trained.get("sql_dialect") != "duckdb":
        trained = score.for_dialect(trained, "duckdb", settings)
    return pairs, trained


def _edges(
    rule_pairs: pd.DataFrame,
    scored: pd.DataFrame,
    decisions: Decisions,
    index: Mapping[Key, int],
    settings: LinkageSettings,
) -> list[Edge]:
    edges = [
        Edge(min(index[a], index[b]), max(index[a], index[b]), MANUAL, MANUAL_MERGE)
        for a, b in decisions.merge
        if a in index and b in index
    ]
    # A rule pair's score, when Splink scored it too (looked up all at once, in numpy).
    rows = _rows_of(
        scored["uid_l"].to_numpy(np.int64),
        scored["uid_r"].to_numpy(np.int64),
        list(rule_pairs.iloc[:, :2].itertuples(index=False, name=None)),
        len(index),
    )
    probability = scored["match_probability"].to_numpy(float)
    for (a, b, rule, value), i in zip(
        rule_pairs.itertuples(index=False), rows.tolist(), strict=True
    ):
        score = float(probability[i]) if i >= 0 else None
        edges.append(Edge(int(a), int(b), RULE, str(rule), score, str(value)))
    strong = scored[scored["match_probability"] >= settings.auto_match]
    for a, b, p in zip(
        strong["uid_l"], strong["uid_r"], strong["match_probability"], strict=True
    ):
        edges.append(Edge(int(a), int(b), SCORED, "splink", float(p)))
    return edges


def _co_attended(scored: pd.DataFrame, settings: LinkageSettings) -> list[Edge]:
    """The review band's pairs, which co-attendance may join (``cluster``)."""
    if not settings.co_attendance:
        return []
    band = scored[scored["match_probability"] < settings.auto_match]
    return [
        Edge(int(a), int(b), CO_ATTENDED, CO_ATTENDANCE, float(p))
        for a, b, p in zip(
            band["uid_l"], band["uid_r"], band["match_probability"], strict=True
        )
    ]


def _customer(
    recs: Sequence[SourceRecord],
    keys: Sequence[Key],
    members: Sequence[int],
    assigned: Assigned,
    best: Mapping[int, Edge],
    settings: LinkageSettings,
) -> Customer:
    cluster_recs = [recs[i] for i in members]
    golden = {
        f: g
        for f in ("name", "birth_date", "country", "preferred_dealer", "language")
        if (
            g := pick(
                cluster_recs,
                f,
                settings.survivorship.get(f, ()),
                settings.source_priority,
            )
        )
    }
    name = golden.get("name")
    given, family = (
        cast(tuple[str | None, str | None], name.value) if name else (None, None)
    )
    given, family = _title(given), _title(family)
    rank = {s: i for i, s in enumerate(settings.source_priority)}
    ranked = sorted(cluster_recs, key=lambda r: (rank.get(r.source, 99), r.key))
    vehicles: dict[str, VehicleClaim] = {}
    clubs: dict[str, ClubClaim] = {}
    for r in ranked:
        for v in r.vehicles:
            vehicles.setdefault(v.vin, v)
        for c in r.clubs:
            clubs.setdefault(c.club, c)
    return Customer(
        id=assigned.id,
        given_name=given,
        family_name=family,
        display_name=display_name(given, family),
        country=_str(golden.get("country")),
        preferred_dealer=_str(golden.get("preferred_dealer")),
        birth_date=_str(golden.get("birth_date")),
        language=_str(golden.get("language")),
        emails=tuple(sorted({r.email_key for r in cluster_recs if r.email_key})),
        phones=tuple(sorted({r.phone_key for r in cluster_recs if r.phone_key})),
        records=tuple(sorted(cluster_recs, key=lambda r: r.key)),
        links=_links(keys, members, best),
        vehicles=tuple(vehicles[k] for k in sorted(vehicles)),
        clubs=tuple(clubs[k] for k in sorted(clubs)),
        golden=tuple(sorted(golden.items())),
        absorbed=assigned.absorbed,
        split_from=assigned.split_from,
    )


def _best_edges(clustering: Clustering) -> dict[int, Edge]:
    """Each record's strongest joining edge (every node of a spanning tree has one)."""
    best: dict[int, Edge] = {}
    for e in clustering.tree:
        for me in (e.a, e.b):
            cur = best.get(me)
            if cur is None or (e.strength, e.score or 0.0) > (
                cur.strength,
                cur.score or 0.0,
            ):
                best[me] = e
    return best


def _links(
    keys: Sequence[Key], members: Sequence[int], best: Mapping[int, Edge]
) -> tuple[Link, ...]:
    out = []
    for i in members:
        chosen = best.get(i)
        if chosen is None:
            out.append(Link(keys[i], "seed"))
            continue
        other = chosen.b if chosen.a == i else chosen.a
        out.append(Link(keys[i], chosen.rule, keys[other], chosen.value, chosen.score))
    return tuple(sorted(out, key=lambda link: link.record))


def _households(
    found: pd.DataFrame,
    settings: LinkageSettings,
    groups: Sequence[Sequence[int]],
    customers: Sequence[Customer],
) -> list[Household]:
    """Households from the record pairs the household rules found (``found``)."""
    cluster_of = {}
    for ci, g in enumerate(groups):
        for i in g:
            cluster_of[i] = ci
    shared = []
    for a, b, rule, value in found.itertuples(index=False):
        ca, cb = cluster_of[int(a)], cluster_of[int(b)]
        if ca != cb:
            shared.append(Shared(min(ca, cb), max(ca, cb), str(rule), str(value)))
    return households([c.id for c in customers], shared, settings.max_household)


def _evidence(
    keys: Sequence[Key], clustering: Clustering, scored: pd.DataFrame
) -> list[PairEvidence]:
    """Linked, separated and review pairs, each with its per-comparison weights.

    Weights are looked up only for the pairs kept, all at once in numpy: a Python list of
    every scored pair's weights was the largest object of a big run.
    """
    kept: list[tuple[Edge, str, str | None]] = [
        (e, "linked", at_one_event(e.value) if e.rule == CO_ATTENDANCE else None)
        for e in clustering.tree
    ]
    seen = {(e.a, e.b) for e in clustering.tree}
    for r in clustering.refused:
        if (r.edge.a, r.edge.b) not in seen:
            seen.add((r.edge.a, r.edge.b))
            kept.append((r.edge, "separated", r.reason))
    # Every scored pair left in two clusters (below auto_match, or kept apart by a guard).
    left = scored["uid_l"].to_numpy(np.int64)
    right = scored["uid_r"].to_numpy(np.int64)
    labels = np.asarray(clustering.labels, dtype=np.int64)
    apart = np.flatnonzero(labels[left] != labels[right])
    probability = scored["match_probability"].to_numpy(float)
    for i in apart.tolist():
        a, b = int(left[i]), int(right[i])
        if (a, b) not in seen:
            kept.append(
                (Edge(a, b, SCORED, "splink", float(probability[i])), "review", None)
            )
    weights = [c for c in scored.columns if c.startswith("w_")]
    names = [w.removeprefix("w_") for w in weights]
    rows = _rows_of(left, right, [(e.a, e.b) for e, _, _ in kept], len(keys))
    values = scored[weights].to_numpy(dtype=float)
    # Rounded weights repeat across pairs: each (comparison, weight) is made once and
    # shared, so the evidence of a large run costs a tuple of references per pair.
    shared: dict[tuple[str, float], tuple[str, float]] = {}
    out = []
    for (e, decision, reason), i in zip(kept, rows.tolist(), strict=True):
        features = (
            ()
            if i < 0
            else tuple(
                shared.setdefault(item, item)
                for item in zip(names, values[i].round(2).tolist(), strict=True)
            )
        )
        out.append(
            PairEvidence(
                keys[e.a],
                keys[e.b],
                decision,
                e.rule,
                e.score,
                reason,
                features,
            )
        )
    return out


def _rows_of(
    left: np.ndarray[Any, Any],
    right: np.ndarray[Any, Any],
    pairs: Sequence[tuple[int, int]],
    size: int,
) -> np.ndarray[Any, Any]:
    """The row of each (a, b) among the scored pairs (left, right), or -1 if not scored."""
    if not pairs or not len(left):
        return np.full(len(pairs), -1, dtype=np.int64)
    keys = left * size + right
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    wanted = np.array(pairs, dtype=np.int64)
    want = wanted[:, 0] * size + wanted[:, 1]
    at = np.minimum(np.searchsorted(ordered, want), len(ordered) - 1)
    return np.where(ordered[at] == want, order[at], -1)


def _str(g: Golden | None) -> str | None:
    return None if g is None else str(g.value)


def _title(name: str | None) -> str | None:
    """'BELLINI' -> 'Bellini'; mixed-case input is kept as the person wrote it."""
    if name and name.isupper() and len(name) > 1:
        return name.title()
    return name


class _Clock:
    """Per-stage timings, reported as progress (records per second in each stage)."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self._stage: tuple[str, int, float] | None = None

    def begin(self, stage: str, count: int) -> None:
        self.end()
        self._stage = (stage, count, time.perf_counter())
        if self.progress:
            self.progress(f"resolve: {stage}", 0, count)

    def end(self) -> None:
        if self._stage is None:
            return
        stage, count, started = self._stage
        self.timings[stage] = time.perf_counter() - started
        self._stage = None
        if self.progress:
            self.progress(f"resolve: {stage}", count, count)
