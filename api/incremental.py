"""``c360 resolve --incremental``: a delta's records resolved against the graph, in order.

No rebuild: a transaction reads its records' candidates by blocking key in one query,
decides each record in Python with the stored model (``linkage.incremental``; each sees
what the ones before it did), and writes the records, their customers (grown, merged or
new) and the evidence before it commits, so a failure leaves no record half-resolved.
Customers the records do not touch keep their IDs and their golden records. Then the
delta's touchpoints and referrals are attached to their persons. Loaders may run at the
same time: each transaction first takes the stored model's write lock
(``graph.cypher.incremental.CANDIDATES``), so their transactions take turns.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString, NamedTuple

import neo4j

from api import touchpoint_load
from api.pipeline import Gate, decisions_from, record_from_props
from graph import influence, load, privacy, schema, segment_compile, segments
from graph.cypher import incremental as queries
from graph.cypher import lifecycle
from graph.cypher import referrals as referral_cypher
from graph.cypher import resolution as resolution_graph
from graph.cypher import segments as segment_cypher
from linkage import frame as frames
from linkage.blocks import block_keys, contact_values, home_keys, stored_keys
from linkage.households import Home, regroup, split
from linkage.ids import Key
from linkage.incremental import Candidate, Outcome, Overlay, home_keys_of, resolve_one
from linkage.pairscore import PairScorer
from linkage.records import Quarantined, SourceRecord
from linkage.referrals import Mention
from linkage.resolve import (
    AMBIGUOUS,
    Customer,
    Link,
    PairEvidence,
    Resolution,
    dedupe,
)
from linkage.settings import LinkageSettings
from linkage.sources import Ingested, ingest, load_sources
from linkage.tombstones import Tombstones
from linkage.touchpoints import Touchpoint
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
    # Where the time goes. Per transaction: all of it (with the commit), the one read of
    # its records' candidates, and the writes; per record: the decision in Python and how
    # many candidate customers it had.
    total_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # records per transaction
    read_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    decide_ms: list[float] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)
    touchpoints: int = 0  # the delta's touchpoints written, after the records
    held: int = 0  # the delta's touchpoints that found no person, held for later
    claimed: int = 0  # touchpoints held before that a change gave a person
    held_referrals: int = 0  # the delta's referral mentions that found no person
    claimed_referrals: int = 0  # referrals held before that a change linked
    referrals: int = 0  # the delta's referral mentions written as REFERRED
    touchpoints_s: float = 0.0  # the seconds the touchpoints and referrals took
    rescored: int = 0  # people whose referral influence changed
    influence_s: float = 0.0  # the seconds that took

    @property
    def resolve_ms(self) -> list[float]:
        """Per transaction: reading the candidates and deciding (per record, when each
        record has its own transaction)."""
        out, at = [], 0
        for read, size in zip(self.read_ms, self.sizes, strict=True):
            out.append(read + sum(self.decide_ms[at : at + size]))
            at += size
        return out


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
    # As a batch run does: a graph loaded under an earlier ontology gets the constraints
    # and indexes it declares now (the held touchpoints' indexes, say).
    schema.apply_schema(driver, model, database)
    gate = Gate(validators(model), list(data.quarantined))
    stones = privacy.tombstones(driver, database)
    records, duplicates = dedupe(gate.records(stones.records(data.records)))
    gate.quarantined += duplicates + stones.report()
    # Manual decisions are few and rare: read once per run, as a batch run does.
    never = frozenset(
        decisions_from(resolution_graph.decisions(driver, database)).never
    )
    derive = _derive_query(
        segments.people_step(segment_compile.load(None, model))
        if "Segment" in model.nodes
        else None
    )
    holding = touchpoint_load.Holding(model, gate)
    resolver = Resolver(
        gate, settings, PairScorer(settings, stored), never, derive, holding
    )
    result = IncrementalResult(quarantined=gate.quarantined)
    if stones.skipped:
        result.outcomes["suppressed"] += stones.skipped["source records"]
    step = max(1, per_transaction)
    with driver.session(database=database) as session:
        for start in range(0, len(records), step):
            chunk = records[start : start + step]
            started = time.perf_counter()
            done = session.execute_write(resolver.write_all, chunk)
            result.total_ms.append((time.perf_counter() - started) * 1000)
            result.sizes.append(len(chunk))
            result.read_ms.append(done.read * 1000)
            result.write_ms.append(done.write * 1000)
            for d in done.records:
                result.decide_ms.append(d.decide * 1000)
                result.candidates.append(d.candidates)
                result.outcomes[d.kind] += 1
            result.records += len(chunk)
            result.quarantined += done.claims.quarantined
            result.claimed += done.claims.touchpoints
            result.claimed_referrals += done.claims.referrals
            if progress:
                progress("incremental", result.records, len(records))
    started = time.perf_counter()
    journeys = _journeys(
        driver, database, holding, data, stones, settings.version, derive, progress
    )
    result.touchpoints, result.referrals, result.held = journeys[:3]
    result.claimed += journeys.claimed
    result.held_referrals = journeys.held_referrals
    result.claimed_referrals += journeys.claimed_referrals
    result.touchpoints_s = time.perf_counter() - started
    if records or result.touchpoints or result.referrals:
        started = time.perf_counter()
        with driver.session(database=database) as session:
            result.rescored = session.execute_write(_influence, settings.version)
        result.influence_s = time.perf_counter() - started
    return result


def _influence(tx: neo4j.ManagedTransaction, version: str) -> int:
    """Referral influence computed again (``graph.influence``) under the loaders' lock, so
    that it is computed from one loader's committed state, not from between two."""
    tx.run(queries.LOCK, version=version).consume()
    return influence.update(tx)


def _journeys(
    driver: neo4j.Driver,
    database: str,
    holding: touchpoint_load.Holding,
    data: Ingested,
    stones: Tombstones,
    version: str,
    derive: tuple[LiteralString, dict[str, Any]],
    progress: Callable[[str, int, int], None] | None,
) -> Journeys:
    """The delta's touchpoints and referrals, attached to the persons they name as the
    graph has them now (their stages and segments derived again), and what they came
    to. A mention is checked as a batch checks it
    (``linkage.referrals.link``), against the referrals and first buying signals already
    in the graph too.

    One transaction, under the stored model's lock like the resolving ones: another
    loader cannot merge away a person between the read of who the touchpoints belong to
    and their write."""
    touchpoints = list(data.touchpoints)
    if not touchpoints and not data.referrals:
        return Journeys()
    model, gate = holding.model, holding.gate
    owners = [t.owner for t in touchpoints]
    owners += [o for m in data.referrals for o in (m.referrer, m.referee)]
    quarantined, skipped = len(gate.quarantined), dict(stones.skipped)

    def attach(tx: neo4j.ManagedTransaction) -> Journeys:
        # A retried transaction starts again: what the first try noted is dropped.
        del gate.quarantined[quarantined:]
        stones.skipped.clear()
        stones.skipped.update(skipped)
        tx.run(queries.LOCK, version=version).consume()
        directory = touchpoint_load.directory_from_graph(tx, owners)
        first_lead: dict[str, str] = {}
        by_label: dict[str, list[dict[str, Any]]] = {}
        held: list[tuple[Touchpoint, str]] = []
        for label, row in touchpoint_load.first_leads(
            touchpoint_load.rows(
                stones.touchpoints(touchpoints, directory), directory, gate, held
            ),
            first_lead,
        ):
            by_label.setdefault(label, []).append(row)
        written = touchpoint_load.write(tx, model, by_label, progress)
        # An order or a delivery starts an ownership: later service visits follow it.
        signs = sorted(set(touchpoint_load.ownership_signs(by_label)))
        moved = touchpoint_load.follow_vehicles(tx, signs, holding)
        gate.quarantined += moved.quarantined
        claimed = touchpoint_load.claim_held(tx, holding, vins=signs)
        touchpoint_load.hold(tx, held, gate)
        mentions = stones.mentions(data.referrals, directory)
        known = touchpoint_load.referrals_around(tx, mentions, directory, first_lead)
        held_mentions: list[tuple[Mention, str]] = []
        referrals, displaced = touchpoint_load.referral_rows(
            mentions, directory, first_lead, gate, known, held_mentions
        )
        unrefer = [{"referrer": r.referrer, "referee": r.referee} for r in displaced]
        if unrefer:
            tx.run(referral_cypher.UNREFER, rows=unrefer).consume()
        load.load_rows(
            tx, referral_cypher.WRITE, referrals, what="referrals", progress=progress
        )
        # A delta's row is the row as it is now: what an earlier version of it held goes.
        touchpoint_load.unhold_referrals(tx, data.referrals)
        touchpoint_load.hold_referrals(tx, held_mentions, gate)
        renewed = {(m.evidence, m.mechanism) for m in data.referrals}
        referred = touchpoint_load.claim_referrals(
            tx,
            holding,
            [m for m in claimed.mentions if (m.evidence, m.mechanism) not in renewed],
        )
        gate.quarantined += referred.quarantined
        gained = {row["person"] for rows in by_label.values() for row in rows}
        ids = gained | {
            p for r in referrals + unrefer for p in (r["referrer"], r["referee"])
        }
        ids |= moved.touched | claimed.touched | referred.touched
        # A buying signal earlier than a referral of the graph refuses it now; only a
        # person that gained a touchpoint can have one (the referrals written above were
        # checked against the graph as it is).
        refused, unreferred = touchpoint_load.recheck_referrals(
            tx, gained | moved.gained | claimed.touched
        )
        gate.quarantined += refused
        _derive(tx, sorted(ids | unreferred), derive)
        return Journeys(
            written,
            len(referrals),
            len(held),
            claimed.count,
            len(held_mentions),
            referred.count,
        )

    with driver.session(database=database) as session:
        return session.execute_write(attach)


class Journeys(NamedTuple):
    """What a delta's touchpoints and referral mentions came to."""

    touchpoints: int = 0  # written
    referrals: int = 0  # written
    held: int = 0  # touchpoints that found no person
    claimed: int = 0  # held touchpoints the delta's orders gave a person
    held_referrals: int = 0  # mentions that found no person
    claimed_referrals: int = 0  # held mentions linked now


def _derive_query(
    segment_step: tuple[LiteralString, dict[str, Any]] | None,
) -> tuple[LiteralString, dict[str, Any]]:
    """One query deriving the lifecycle stages of persons ``$ids`` again, then their
    segments (``graph.segments.people_step``; some read the stage)."""
    step, params = segment_step or ("", {})
    query = lifecycle.STAGES_OF + "\n" + step + "\nRETURN count(*) AS people"
    return query, {**params, "sleeperDays": lifecycle.SLEEPER_DAYS}


def _derive(
    tx: neo4j.ManagedTransaction,
    ids: list[str],
    derive: tuple[LiteralString, dict[str, Any]],
) -> None:
    """The lifecycle stages and segments of ``ids`` derived again (``_derive_query``)."""
    now = dt.datetime.now().replace(microsecond=0)
    query, params = derive
    tx.run(query, {**params, "ids": ids, "asOf": now}).consume()


class Resolver:
    """Reads, decides and writes a transaction's records inside a managed (retried)
    transaction."""

    def __init__(
        self,
        gate: Gate,
        settings: LinkageSettings,
        scorer: PairScorer,
        never: frozenset[tuple[Key, Key]],
        derive: tuple[LiteralString, dict[str, Any]],
        holding: touchpoint_load.Holding,
    ):
        self.holding = holding  # touchpoints without a person are kept for later
        self.gate = gate
        self.settings = settings
        self.scorer = scorer
        self.never = never
        self.derive = derive  # _derive_query of the segment definitions
        # The events of the run's records decided so far (``Overlay``), for its next
        # transactions.
        self.events: dict[Key, frozenset[str]] = {}

    def write_all(
        self, tx: neo4j.ManagedTransaction, records: list[SourceRecord]
    ) -> Done:
        """Each record decided in turn, seeing the ones before it: one read of all their
        candidates first, then the decisions over it (``Overlay``), then one write of the
        records and of each customer's final state, and what depends on the final state
        of the transaction's customers (their stages, segments, households, evidence, and
        removing the absorbed)."""
        started = time.perf_counter()
        rows = [frames.row(r) for r in records]
        keys = [block_keys(row, self.settings) for row in rows]
        homes = [home_keys(row, self.settings) for row in rows]
        reads = [
            {"keys": k, "homes": sorted(h), "source": r.source, "sourceId": r.source_id}
            for r, k, h in zip(records, keys, homes, strict=True)
        ]
        row = tx.run(
            queries.CANDIDATES,
            reads=reads,
            keys=sorted({k for ks in keys for k in ks}),
            maxBlock=self.settings.max_block,
            maxCandidates=MAX_CANDIDATES,
            ambiguous=AMBIGUOUS,
            version=self.settings.version,
        ).single(strict=True)
        read: dict[str, Candidate] = {}
        asked: list[list[str]] = [[] for _ in records]
        former: dict[str, list[str]] = {}
        households: dict[str, list[Home]] = {}  # person -> the household it is in
        for person in row["persons"]:
            read[person["id"]] = _candidate(person)
            former[person["id"]] = list(person["formerIds"])
            households[person["id"]] = [_home(h) for h in person["households"]]
            for i in person["wanted"]:
                asked[i].append(person["id"])
        for n in row["neighbours"]:
            households[n["person"]] = [_home(h) for h in n["households"]]
        # The persons the read found holding one of the records: changed records.
        mine = {r.key for r in records}
        changed = {c.id for c in read.values() if any(r.key in mine for r in c.records)}
        done = Done(time.perf_counter() - started)
        overlay = Overlay(read, row["junk"], self.events)
        after = _AfterWrites()
        for record, ks, ids in zip(records, keys, asked, strict=True):
            began = time.perf_counter()
            candidates = overlay.candidates(ids, ks)
            outcome = resolve_one(
                record, candidates, self.settings, self.scorer, self.never
            )
            overlay.apply(record, ks, outcome)
            self._note(record, outcome, after)
            done.records.append(
                Decided(
                    _kind(outcome, record, candidates),
                    time.perf_counter() - began,
                    len(candidates),
                )
            )
        began = time.perf_counter()
        after.merged = overlay.merged()
        # A changed record may have dropped a vehicle its customer owned through it.
        after.owners = {overlay.current(c) for c in after.owners | changed}
        # Their contact points, and those a changed record held before: whose touchpoints
        # named one may have another holder now, or none, or several.
        after.contacts.update(kv for w in rows for kv in contact_values(w).items())
        after.contacts.update(
            kv
            for c in read.values()
            for r in c.records
            if r.key in mine
            for kv in contact_values(frames.row(r)).items()
        )
        after.journeys = _journey_moves(after, overlay)
        after.homes, after.homes_gone = self._households(
            tx,
            records,
            homes,
            row["neighbours"],
            overlay,
            households,
            changed | after.split,
            after,
        )
        stored = [stored_keys(row, self.settings) for row in rows]
        done.claims = self._write(tx, records, stored, overlay.written(), former, after)
        done.write = time.perf_counter() - began
        return done

    def _note(
        self, record: SourceRecord, outcome: Outcome, after: _AfterWrites
    ) -> None:
        """What the transaction's end does for a record's customers."""
        customers = [outcome.customer] + ([outcome.left] if outcome.left else [])
        after.ids.update(c.id for c in customers)
        after.gone.update(outcome.absorbed)
        if outcome.split:
            # A contradicted customer split: its records that changed customer take
            # their touchpoints and contact points along, and its household is checked.
            after.moved += outcome.split
            after.split.update(former for _, former in outcome.split)
            moved = {key for key, _ in outcome.split}
            after.contacts.update(
                kv
                for c in customers
                for r in c.records
                if r.key in moved
                for kv in contact_values(frames.row(r)).items()
            )
        elif outcome.left:
            after.moved.append((record.key, outcome.left.id))
        if outcome.emptied:
            after.gone.add(outcome.emptied)
            after.emptied.append((record.key, outcome.emptied))
        # Who owns a vehicle may change: one came with the record, or went with it, or
        # two customers' vehicles became one's.
        if record.vehicles or outcome.absorbed or outcome.left or outcome.emptied:
            after.owners.update(c.id for c in customers)
        after.evidence += self.gate.evidence_rows(self._resolution([], outcome.pairs))

    def _households(
        self,
        tx: neo4j.ManagedTransaction,
        records: list[SourceRecord],
        homes: list[dict[str, str]],
        neighbours: list[dict[str, Any]],
        overlay: Overlay,
        households: dict[str, list[Home]],
        changed: set[str],
        after: _AfterWrites,
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The household rows of the transaction's customers and of the people their
        records share a household key with (``households.regroup``), and the households
        that are no more. The person write drops a person's household: every household
        of a written customer is written again, whole."""
        # Every record the transaction decided has a customer now.
        mine = [
            (me, h)
            for r, h in zip(records, homes, strict=True)
            if (me := overlay.person_of(r.key))
        ]
        by_key: dict[str, set[str]] = {}  # household key -> the people holding it now
        for n in neighbours:
            held = overlay.person_of((n["source"], n["sourceId"]), n["person"])
            if held is not None:
                by_key.setdefault(n["key"], set()).add(held)
        for me, keys in mine:
            for k in keys:
                by_key.setdefault(k, set()).add(me)
        shared = {
            (me, other, rule)
            for me, keys in mine
            for k, rule in keys.items()
            for other in by_key[k]
            if other != me
        }
        involved = after.ids | after.gone | {p for _, p, _ in shared}
        known = {h.id: h for p in involved for h in households.get(p, [])}
        before = set(known)  # the graph's households the transaction may change
        # A changed record may have taken away what held its person's household together.
        stale = {h.id: h for p in changed for h in households.get(p, [])}
        if stale:
            for h in stale.values():
                known.pop(h.id, None)
            parts = self._split(tx, list(stale.values()), homes, overlay, after.gone)
            known |= {h.id: h for h in parts}
        grouped, _ = regroup(
            known.values(),
            after.merged,
            after.gone - set(after.merged),
            shared,
            self.settings.max_household,
        )
        gone = sorted(before - {h.id for h in grouped})
        rows = []
        for h in grouped:
            if self.gate.check("Household", f"household {h.id}", {"id": h.id}) is None:
                continue
            evidence = {"evidence": ", ".join(sorted(h.rules))}
            members = [{"id": m, "props": evidence} for m in sorted(h.members)]
            rows.append({"id": h.id, "members": members})
        return rows, gone

    def _split(
        self,
        tx: neo4j.ManagedTransaction,
        stale: list[Home],
        homes: list[dict[str, str]],
        overlay: Overlay,
        gone: set[str],
    ) -> list[Home]:
        """``stale`` households as their members' household keys hold them together now
        (``households.split``): the members are read whole, in one query, with the junk
        among their keys and the transaction's."""
        row = tx.run(
            queries.MEMBERS,
            ids=sorted({m for h in stale for m in h.members}),
            keys=sorted({k for h in homes for k in h}),
            maxBlock=self.settings.max_block,
            ambiguous=AMBIGUOUS,
        ).single(strict=True)
        junk = set(row["junk"]) | {k for p in row["persons"] for k in p["junk"]}
        stored = {p["id"]: _candidate(p) for p in row["persons"]}
        parts: list[Home] = []
        for h in stale:
            keys: dict[str, dict[str, str]] = {}
            for m in h.members:
                now = overlay.current(m)
                person = None if now in gone else overlay.state(now) or stored.get(now)
                if person is not None:  # else left without records
                    held = home_keys_of(person, self.settings)
                    keys[now] = {k: rule for k, rule in held.items() if k not in junk}
            parts += split(h, keys, self.settings.max_household)
        return parts

    def _resolution(
        self, customers: list[Customer], pairs: Sequence[PairEvidence] = ()
    ) -> Resolution:
        return Resolution(
            customers=customers,
            households=[],
            pairs=list(pairs),
            quarantined=[],
            model={},
            version=self.settings.version,
        )

    def _write(
        self,
        tx: neo4j.ManagedTransaction,
        records: list[SourceRecord],
        keys: list[list[str]],
        customers: list[Customer],
        former: dict[str, list[str]],
        after: _AfterWrites,
    ) -> Claims:
        """The records, then their customers as the transaction leaves them, then the
        rest; what the touchpoints and held referrals the change reached came to."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        tx.run(
            load.RECORD_AND_PERSONS,
            records=[
                {**self.gate.record_row(r), "blocks": k}
                for r, k in zip(records, keys, strict=True)
            ],
            persons=list(
                self.gate.person_rows(self._resolution(customers), at, former)
            ),
        ).consume()
        # In this order: a moved record's touchpoints may be among a merged customer's,
        # and a customer left without records hands over what the moves left it.
        if after.merged:
            tx.run(queries.HAND_OVER, moves=_hand_over(after.merged.items()))
        if after.journeys.via:
            tx.run(queries.MOVE_TOUCHPOINTS, moves=after.journeys.via)
        if after.journeys.whole:
            tx.run(queries.HAND_OVER, moves=_hand_over(after.journeys.whole))
        if after.gone:
            gone = sorted(after.gone)
            tx.run(segment_cypher.DEPART, ids=gone)
            tx.run(queries.REMOVE_PERSONS, ids=gone)
        if after.homes_gone:
            tx.run(queries.REMOVE_HOUSEHOLDS, ids=after.homes_gone)
        if after.homes:
            tx.run(resolution_graph.HOUSEHOLDS, rows=after.homes)
        if after.evidence:
            tx.run(resolution_graph.EVIDENCE, rows=after.evidence)
        # Held touchpoints that named the records or their contact points may have a
        # person now. Contact points and vehicles may have changed hands with the
        # records: the messages and service visits that named them follow (or, with no
        # one to go to, are quarantined and held).
        held = self.holding
        owners = after.owners - after.gone
        vins = touchpoint_load.vehicles_around(tx, owners) if owners else []
        mine = {r.key for r in records}
        persons = {r.key: c.id for c in customers for r in c.records if r.key in mine}
        claims = [touchpoint_load.claim_held(tx, held, persons, after.contacts, vins)]
        followed = [touchpoint_load.follow_contacts(tx, after.contacts, held)]
        # An order that was claimed, or that followed its contact point, starts (or no
        # longer starts) an ownership: its vehicle's visits, and those held on it, are
        # decided again.
        extra = claims[0].signs | followed[0].signs
        if extra := extra - {*vins}:
            claims.append(touchpoint_load.claim_held(tx, held, vins=extra))
            vins = [*vins, *sorted(extra)]
        if vins:
            followed.append(touchpoint_load.follow_vehicles(tx, vins, held))
        # Held referral mentions, once the touchpoints (their first buying signals) are.
        referred = touchpoint_load.claim_referrals(
            tx, held, [m for c in claims for m in c.mentions]
        )
        alive = (after.ids - after.gone).union(
            *(c.touched for c in claims),
            *(f.touched for f in followed),
            referred.touched,
        )
        # A customer that absorbed another or gained touchpoints (an earlier buying
        # signal) may have a referral a batch run refuses now; no other can.
        gained = {*after.merged.values(), *(into for _, into in after.journeys.whole)}
        gained |= {m["into"] for m in after.journeys.via}
        gained = gained.union(
            *(c.touched for c in claims), *(f.gained for f in followed)
        )
        refused, unreferred = touchpoint_load.recheck_referrals(tx, gained - after.gone)
        # The person rows replace properties: derive the stage and segments again.
        _derive(tx, sorted(alive | unreferred), self.derive)
        return Claims(
            [q for f in followed for q in f.quarantined]
            + referred.quarantined
            + refused,
            sum(c.count for c in claims),
            referred.count,
        )


@dataclass
class Done:
    """A transaction's decisions, and its seconds reading and writing."""

    read: float
    records: list[Decided] = field(default_factory=list)
    write: float = 0.0
    claims: Claims = field(default_factory=lambda: Claims([], 0, 0))


@dataclass(frozen=True)
class Claims:
    """What a transaction's change did to touchpoints and referrals it reached: those
    taken out or refused now (quarantined), held ones attached, held referrals linked."""

    quarantined: list[Quarantined]
    touchpoints: int
    referrals: int


@dataclass(frozen=True)
class Decided:
    """One record's outcome (new, joined, merged...), the seconds deciding it took, and
    how many candidate customers it had."""

    kind: str
    decide: float
    candidates: int


@dataclass
class _AfterWrites:
    """What a transaction's records leave to do once, at its end."""

    ids: set[str] = field(default_factory=set)  # customers written
    gone: set[str] = field(default_factory=set)  # absorbed or left without records
    owners: set[str] = field(default_factory=set)  # whose vehicles may have changed
    contacts: dict[str, str] = field(
        default_factory=dict
    )  # key -> contact point: whose holders may have changed
    merged: dict[str, str] = field(default_factory=dict)  # absorbed -> its survivor
    homes: list[dict[str, Any]] = field(default_factory=list)  # household rows
    homes_gone: list[str] = field(default_factory=list)  # households that are no more
    evidence: list[dict[str, Any]] = field(default_factory=list)
    moved: list[tuple[Key, str]] = field(
        default_factory=list
    )  # record, customer it left
    emptied: list[tuple[Key, str]] = field(default_factory=list)  # ... its last record
    split: set[str] = field(default_factory=set)  # contradicted customers split in two
    journeys: _JourneyMoves = field(default_factory=lambda: _JourneyMoves([], []))


@dataclass(frozen=True)
class _JourneyMoves:
    """Touchpoints that follow a changed record to another customer: all of a customer
    it was the last record of (``whole``: (former, new) customer IDs), else those whose
    row named the record (``via``: rows of ``MOVE_TOUCHPOINTS``)."""

    whole: list[tuple[str, str]]
    via: list[dict[str, Any]]


def _journey_moves(after: _AfterWrites, overlay: Overlay) -> _JourneyMoves:
    """Where the touchpoints of the transaction's moved records go, as it ends."""
    whole, via = [], []
    for key, former in after.emptied:
        into = overlay.person_of(key)
        if into is not None and into != former:
            whole.append((former, into))
    for key, left in after.moved:
        into, now = overlay.person_of(key), overlay.current(left)
        if into is not None and into != now:
            via.append(
                {
                    "from": now,
                    "into": into,
                    "record": "/".join(key),
                }
            )
    return _JourneyMoves(whole, via)


def _hand_over(moves: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"gone": gone, "into": into} for gone, into in moves]


def _candidate(row: Mapping[str, Any]) -> Candidate:
    records: list[SourceRecord] = []
    links: dict[Key, Link] = {}
    ambiguous: set[Key] = set()
    for item in row["records"]:
        # With the vehicles and clubs it states, as a batch run compares it.
        rec = record_from_props(dict(item["record"]), row["vehicles"], row["clubs"])
        if rec is None:
            continue
        records.append(rec)
        if item["ambiguous"]:
            ambiguous.add(rec.key)
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
    return Candidate(
        row["id"],
        tuple(sorted(records, key=lambda r: r.key)),
        links,
        frozenset(row["events"]),
        frozenset(ambiguous),
    )


def _home(row: Mapping[str, Any]) -> Home:
    """A household as the candidate read returns it."""
    return Home(
        row["id"],
        frozenset(m["id"] for m in row["members"]),
        frozenset(
            rule
            for m in row["members"]
            for rule in (m["evidence"] or "").split(", ")
            if rule
        ),
    )


def _kind(outcome: Outcome, record: SourceRecord, candidates: list[Candidate]) -> str:
    known = any(r.key == record.key for c in candidates for r in c.records)
    if outcome.absorbed:
        return "merged"
    if outcome.split:
        return "split"
    if outcome.left is not None or outcome.emptied:
        return "moved"
    if known:
        return "updated"
    return "new customer" if len(outcome.customer.records) == 1 else "joined"
