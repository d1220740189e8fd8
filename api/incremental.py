"""``c360 resolve --incremental``: each record resolved against the graph, one transaction each.

No rebuild: a record's candidates are read by blocking key, it is decided in Python with the
stored model (``linkage.incremental``), and the record, its customer (grown, merged or new)
and the evidence are written in the same transaction that read the candidates, so two
loaders never decide on stale state. Customers the record does not touch keep their IDs and
their golden records.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString

import neo4j

from api.pipeline import Gate, decisions_from, record_from_props
from graph import load, privacy, segment_compile, segments
from graph.cypher import incremental as queries
from graph.cypher import lifecycle
from graph.cypher import resolution as resolution_graph
from graph.cypher import segments as segment_cypher
from linkage import frame as frames
from linkage.blocks import block_keys
from linkage.ids import Key
from linkage.incremental import Candidate, Outcome, resolve_one
from linkage.pairscore import PairScorer
from linkage.records import ClubClaim, SourceRecord, VehicleClaim
from linkage.resolve import Link, Resolution, dedupe
from linkage.settings import LinkageSettings
from linkage.sources import ingest, load_sources
from ontology.errors import C360Error
from ontology.model import Ontology
from ontology.validate import validators

MAX_CANDIDATES = 50  # persons read per record: a cap, not a typical count


class NoModelError(C360Error):
    """Incremental resolution scores with the model a batch run trained and stored."""

    exit_code = 2


@dataclass
class IncrementalResult:
    records: int = 0
    outcomes: Counter[str] = field(
        default_factory=Counter
    )  # new | joined | merged | ...
    quarantined: list[Any] = field(default_factory=list)
    total_ms: list[float] = field(
        default_factory=list
    )  # per transaction, including the write and commit
    # Where a record's time goes: the round trip to Neo4j (its candidate read, with the
    # write of the record before when they share a transaction), the decision in Python,
    # and how many candidate customers it read; per transaction, the writes at its end.
    query_ms: list[float] = field(default_factory=list)
    decide_ms: list[float] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    finish_ms: list[float] = field(default_factory=list)

    @property
    def resolve_ms(self) -> list[float]:
        """Per record: reading the candidates and deciding."""
        return [q + d for q, d in zip(self.query_ms, self.decide_ms, strict=True)]


def percentile(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile of ``values`` (0 when empty)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[q - 1]


def run(
    driver: neo4j.Driver,
    sources_path: Path,
    model: Ontology,
    settings: LinkageSettings,
    database: str = "neo4j",
    progress: Callable[[str, int, int], None] | None = None,
    per_transaction: int = 1,
) -> IncrementalResult:
    """Resolve every record of ``sources_path`` against the graph, one at a time.

    ``per_transaction`` records share a transaction (each still sees the ones before it):
    1 gives each record its own commit; more amortise the commit for a bulk delta.
    """
    stored = resolution_graph.model(driver, database, settings.version)
    if stored is None:
        raise NoModelError(
            f"no linkage model stored for settings version {settings.version}: "
            "run `c360 resolve --sources FILE` once (a batch run trains and stores it)"
        )
    data = ingest(load_sources(sources_path), progress)
    gate = Gate(validators(model), list(data.quarantined))
    stones = privacy.tombstones(driver, database)
    records, duplicates = dedupe(gate.records(stones.records(data.records)))
    gate.quarantined += duplicates + stones.report()
    # Manual decisions are few and rare: read once per run, as a batch run does.
    never = frozenset(
        decisions_from(resolution_graph.decisions(driver, database)).never
    )
    people = (
        segments.people_query(segment_compile.load(None, model))
        if "Segment" in model.nodes
        else None
    )
    resolver = Resolver(gate, settings, PairScorer(settings, stored), never, people)
    result = IncrementalResult(quarantined=gate.quarantined)
    if stones.skipped:
        result.outcomes["suppressed"] += stones.skipped["source records"]
    step = max(1, per_transaction)
    with driver.session(database=database) as session:
        for start in range(0, len(records), step):
            chunk = records[start : start + step]
            started = time.perf_counter()
            done, finish = session.execute_write(resolver.write_all, chunk)
            result.total_ms.append((time.perf_counter() - started) * 1000)
            result.finish_ms.append(finish * 1000)
            for d in done:
                result.query_ms.append(d.query * 1000)
                result.decide_ms.append(d.decide * 1000)
                result.candidates.append(d.candidates)
                result.outcomes[d.kind] += 1
            result.records += len(chunk)
            if progress:
                progress("incremental", result.records, len(records))
    return result


class Resolver:
    """Reads, decides and writes one record inside a managed (retried) transaction."""

    def __init__(
        self,
        gate: Gate,
        settings: LinkageSettings,
        scorer: PairScorer,
        never: frozenset[tuple[Key, Key]],
        segment_query: tuple[LiteralString, dict[str, Any]] | None = None,
    ):
        self.gate = gate
        self.settings = settings
        self.scorer = scorer
        self.never = never
        self.segment_query = segment_query  # segments.people_query of the definitions

    def write_all(
        self, tx: neo4j.ManagedTransaction, records: list[SourceRecord]
    ) -> tuple[list[Decided], float]:
        """Each record read, decided and written in turn, so each sees the ones before it.
        A record's write travels with the next record's candidate read (one round trip a
        record); what depends only on the final state of the transaction's customers
        (their stages, segments, households, evidence, and removing the absorbed) is
        written once at the end. Returns each record's decision and the seconds the end
        took (the last record's write included)."""
        after = _AfterWrites()
        done = []
        pending: dict[str, Any] | None = None  # the write of the record before
        for record in records:
            decided, pending = self.decide(tx, record, after, pending)
            done.append(decided)
        started = time.perf_counter()
        if pending is not None:
            tx.run(load.RECORD_AND_PERSONS, pending).consume()
        self._finish(tx, after)
        return done, time.perf_counter() - started

    def decide(
        self,
        tx: neo4j.ManagedTransaction,
        record: SourceRecord,
        after: _AfterWrites,
        pending: dict[str, Any] | None = None,
    ) -> tuple[Decided, dict[str, Any]]:
        """What happened and how long it took, and the record's write, after running
        ``pending`` (the write of the record before) in the same query."""
        started = time.perf_counter()
        keys = block_keys(frames.row(record), self.settings)
        read = {
            "keys": keys,
            "source": record.source,
            "sourceId": record.source_id,
            "maxBlock": self.settings.max_block,
            "maxCandidates": MAX_CANDIDATES,
        }
        asked = time.perf_counter()
        if pending is None:
            rows = list(tx.run(queries.CANDIDATES, read))
        else:
            rows = list(tx.run(queries.WRITE_THEN_CANDIDATES, {**pending, **read}))
        queried = time.perf_counter()
        candidates = [_candidate(r) for r in rows]
        former_ids = {r["id"]: list(r["formerIds"]) for r in rows}
        households = {r["id"]: r["households"] for r in rows}
        outcome = resolve_one(
            record, candidates, self.settings, self.scorer, self.never
        )
        decided = Decided(
            _kind(outcome, record, candidates),
            queried - asked,
            time.perf_counter() - queried + asked - started,
            len(candidates),
        )
        return decided, self._write(
            record, keys, outcome, former_ids, households, after
        )

    def _write(
        self,
        record: SourceRecord,
        keys: list[str],
        outcome: Outcome,
        former_ids: dict[str, list[str]],
        households: dict[str, list[dict[str, Any]]],
        after: _AfterWrites,
    ) -> dict[str, Any]:
        """The parameters of ``load.RECORD_AND_PERSONS`` for the record and its
        customer(s); what the transaction's end does for them goes to ``after``."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        customers = [outcome.customer] + ([outcome.left] if outcome.left else [])
        resolution = Resolution(
            customers=customers,
            households=[],
            pairs=list(outcome.pairs),
            quarantined=[],
            model={},
            version=self.settings.version,
        )
        after.ids.update(c.id for c in customers)
        after.gone.update(outcome.absorbed)
        if outcome.emptied:
            after.gone.add(outcome.emptied)
        after.homes += [
            {"id": h["id"], "members": [{"id": c.id, "props": h["props"]}]}
            for c in customers
            for h in households.get(c.id, [])
        ]
        after.evidence += self.gate.evidence_rows(resolution)
        return {
            "records": [{**self.gate.record_row(record), "blocks": keys}],
            "persons": list(self.gate.person_rows(resolution, at, former_ids)),
        }

    def _finish(self, tx: neo4j.ManagedTransaction, after: _AfterWrites) -> None:
        if after.gone:
            gone = sorted(after.gone)
            tx.run(segment_cypher.DEPART, ids=gone)
            tx.run(queries.REMOVE_PERSONS, ids=gone)
        if after.homes:
            tx.run(resolution_graph.HOUSEHOLDS, rows=after.homes)
        if after.evidence:
            tx.run(resolution_graph.EVIDENCE, rows=after.evidence)
        ids = sorted(after.ids - after.gone)
        now = dt.datetime.now().replace(microsecond=0)
        tx.run(  # the person rows replace properties: derive the stage again
            lifecycle.STAGES_OF, ids=ids, asOf=now, sleeperDays=lifecycle.SLEEPER_DAYS
        )
        if self.segment_query is not None:  # then the segments, some of which read it
            query, params = self.segment_query
            tx.run(query, {**params, "ids": ids, "asOf": now})


@dataclass(frozen=True)
class Decided:
    """One record's outcome (new, joined, merged...) and its time in seconds: the round
    trip that read its candidates, and the decision."""

    kind: str
    query: float
    decide: float
    candidates: int


@dataclass
class _AfterWrites:
    """What a transaction's records leave to do once, at its end."""

    ids: set[str] = field(default_factory=set)  # customers written
    gone: set[str] = field(default_factory=set)  # absorbed or left without records
    homes: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _candidate(row: neo4j.Record) -> Candidate:
    records: list[SourceRecord] = []
    links: dict[Key, Link] = {}
    for item in row["records"]:
        rec = record_from_props(dict(item["record"]))
        if rec is None:
            continue
        records.append(rec)
        link = item["link"]
        matched = (
            (link["matchedSource"], link["matchedSourceId"])
            if link.get("matchedSource")
            else None
        )
        links[rec.key] = Link(
            rec.key,
            link.get("rule") or "seed",
            matched,
            link.get("matchedValue"),
            link.get("matchScore"),
        )
    vehicles = tuple(
        VehicleClaim(
            v["vin"],
            v["model"],
            v["props"].get("certificationStatus"),
            v["props"].get("ownedFrom"),
            v["props"].get("ownedThrough"),
        )
        for v in row["vehicles"]
    )
    clubs = tuple(
        ClubClaim(
            c["club"],
            c["props"].get("membershipNumber"),
            c["props"].get("since"),
            c["props"].get("membershipStatus"),
        )
        for c in row["clubs"]
    )
    return Candidate(
        row["id"],
        tuple(sorted(records, key=lambda r: r.key)),
        links,
        vehicles,
        clubs,
        frozenset(row["events"]),
    )


def _kind(outcome: Outcome, record: SourceRecord, candidates: list[Candidate]) -> str:
    known = any(r.key == record.key for c in candidates for r in c.records)
    if outcome.absorbed:
        return "merged"
    if outcome.left is not None or outcome.emptied:
        return "moved"
    if known:
        return "updated"
    return "new customer" if len(outcome.customer.records) == 1 else "joined"
