"""Incremental resolution: one new or changed record against the customers it could join.

The batch run (``linkage.resolve``) decides over all records at once; here the graph has
already decided, and one record arrives. Its candidates are the customers whose records
share a blocking key with it (``linkage.blocks``, found by index in Neo4j). It is compared
with each of their records by the same deterministic rules and the same trained model (in
Python: ``rules.first_match``, ``pairscore``), so a pair scores as it would in a batch. It
then joins the candidate customers in order of evidence strength while the clustering
guards allow (``cluster.refusal``): none (a new customer), one (it grows) or several (they
merge, keeping the ID with most records and recording the others as absorbed). Customers
the record does not join are left exactly as they are; this is what keeps IDs stable.

Several records can share a transaction: their candidates are read at once, before any is
written, and an ``Overlay`` gives each record the customers as the records before it left
them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from linkage import frame as frames
from linkage import rules
from linkage.blocks import home_keys
from linkage.cluster import Edge, Person, cluster, names_compatible, refusal
from linkage.ids import Assigned, Key, assign
from linkage.pairscore import PairScorer, Scored
from linkage.records import SourceRecord
from linkage.resolve import (
    AMBIGUOUS,
    CO_ATTENDANCE,
    CO_ATTENDED,
    MANUAL_MERGE,
    RULE,
    SCORED,
    Customer,
    Link,
    PairEvidence,
    _best_edges,
    _customer,
    _hold_out_ambiguous,
    at_one_event,
    guard_person,
    identifying_rules,
)
from linkage.settings import LinkageSettings


@dataclass(frozen=True)
class Candidate:
    """An existing customer as the graph holds it."""

    id: str
    records: tuple[SourceRecord, ...]
    links: Mapping[Key, Link]  # each record's stored RESOLVED_TO evidence
    events: frozenset[str] = (
        frozenset()
    )  # events the person's touchpoints place them at
    # Its nameless records held out as ambiguous (shared with differently named people):
    # a new named record does not settle whose they are.
    ambiguous: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Outcome:
    customer: Customer  # the record's customer after the update
    absorbed: tuple[str, ...]  # candidate IDs merged into it
    left: (
        Customer | None
    )  # the record's former customer without it (a changed record moved)
    emptied: str | None  # the former customer's ID when the record was its last one
    pairs: tuple[
        PairEvidence, ...
    ]  # linked, review and separated pairs with the record
    held: bool = False  # a nameless record held out as ambiguous
    # A contradicted customer split (``_split_off``): its records that changed customer,
    # each with the ID it had; ``left`` is the part the record did not join.
    split: tuple[tuple[Key, str], ...] = ()


def home_keys_of(person: Candidate, settings: LinkageSettings) -> dict[str, str]:
    """The household keys of a person's records -> the rule each stands for."""
    return {
        k: rule
        for r in person.records
        for k, rule in home_keys(frames.row(r), settings).items()
    }


def resolve_one(
    record: SourceRecord,
    candidates: Sequence[Candidate],
    settings: LinkageSettings,
    scorer: PairScorer,
    never: frozenset[tuple[Key, Key]] = frozenset(),
) -> Outcome:
    """Where ``record`` belongs among ``candidates`` (which may include its own current
    customer, when it is a changed record)."""
    me = frames.row(record)
    person = guard_person(me, settings)
    guards = settings.guards
    best: dict[str, tuple[Edge, Key]] = {}  # candidate -> strongest edge, record it hit
    guarded: dict[str, list[Person]] = {}  # candidate -> its records' guard data
    pairs: list[PairEvidence] = []
    band: dict[str, tuple[float, Key]] = {}  # candidate -> best review-band pair, named
    for cand in candidates:
        guarded[cand.id] = []
        for other in cand.records:
            if other.key == record.key:
                continue
            row = frames.row(other)
            guarded[cand.id].append(guard_person(row, settings))
            rule = rules.first_match(settings.identity_rules, me, row)
            scored = _score(scorer, (record.key, me), (other.key, row))
            p = scored.match_probability
            features = tuple((name, round(w, 2)) for name, w in scored.weights.items())
            apart = (record.key, other.key) in never or (other.key, record.key) in never
            if rule is None and p < settings.auto_match:
                if p >= settings.review:
                    pairs.append(
                        PairEvidence(
                            record.key, other.key, "review", "splink", p, None, features
                        )
                    )
                    named = guarded[cand.id][-1].names and not apart
                    if named and p > band.get(cand.id, (0.0, other.key))[0]:
                        band[cand.id] = (p, other.key)
                continue
            edge = (
                Edge(0, 1, RULE, rule[0], p, rule[1])
                if rule
                else Edge(0, 1, SCORED, "splink", p)
            )
            if apart:
                pairs.append(
                    PairEvidence(
                        record.key,
                        other.key,
                        "separated",
                        edge.rule,
                        p,
                        "never-link decision",
                        features,
                    )
                )
                continue
            current = best.get(cand.id)
            if current is None or (edge.strength, edge.score or 0.0) > (
                current[0].strength,
                current[0].score or 0.0,
            ):
                best[cand.id] = (edge, other.key)
    by_id = {c.id: c for c in candidates}
    order = sorted(
        best,
        key=lambda cid: (-best[cid][0].strength, -(best[cid][0].score or 0.0), cid),
    )
    joined: list[Candidate] = []
    contradicted: list[Candidate] = []  # refused by a guard, strongest evidence first
    people = [person]
    held = not person.names and _ambiguous([guarded[cid] for cid in order], settings)
    allowed = set(order)
    if held and person.events:
        # Co-attendance, as the batch does: a survey about an event belongs to whoever of
        # the differently named candidates was there, if that is one person.
        there = [cid for cid in order if by_id[cid].events & person.events]
        if there and not _ambiguous([guarded[cid] for cid in there], settings):
            held, allowed = False, set(there)
    for cid in order:
        edge, hit = best[cid]
        theirs = guarded[cid]
        # A nameless customer a batch held out as ambiguous stays out: one more named
        # record sharing its contact point does not say whose it is.
        held_out = bool(by_id[cid].ambiguous) and not any(p.names for p in theirs)
        unsure = (
            held
            or cid not in allowed
            or (held_out and edge.rule not in identifying_rules(settings))
        )
        reason = AMBIGUOUS if unsure else refusal(people, theirs, guards)
        decision = "review" if unsure else ("separated" if reason else "linked")
        pairs.append(
            PairEvidence(record.key, hit, decision, edge.rule, edge.score, reason)
        )
        if reason is None:
            joined.append(by_id[cid])
            people += theirs
        elif not unsure:
            contradicted.append(by_id[cid])
    if settings.co_attendance and person.names:
        for cid, event in _co_attended(person, joined, band, by_id, guarded, settings):
            p, hit = band[cid]
            best[cid] = (Edge(0, 1, CO_ATTENDED, CO_ATTENDANCE, p, event), hit)
            joined.append(by_id[cid])
            people += guarded[cid]
            reason = at_one_event(event)
            pairs = [
                PairEvidence(e.a, e.b, "linked", CO_ATTENDANCE, p, reason, e.features)
                if (e.a, e.b) == (record.key, hit)
                else e
                for e in pairs
            ]
    new = not any(r.key == record.key for c in candidates for r in c.records)
    if new and not joined and not held:
        for cand in contradicted:
            split = _split_off(record, me, person, cand, pairs, settings, scorer, never)
            if split is not None:
                return split
    outcome = _outcome(record, candidates, joined, best, pairs, settings)
    return replace(outcome, held=held and not joined)


MAX_SPLIT = 30  # records of a contradicted customer clustered again, at most


def _split_off(
    record: SourceRecord,
    me: Mapping[str, Any],
    person: Person,
    cand: Candidate,
    pairs: Sequence[PairEvidence],
    settings: LinkageSettings,
    scorer: PairScorer,
    never: frozenset[tuple[Key, Key]],
) -> Outcome | None:
    """A new record that a customer's guards refuse may show that the customer is two
    people: a batch of its records and the new one, whose stronger edges come first, would
    join the record to part of it and refuse the rest (the birth date a new dealer account
    brings contradicts a namesake merged on a scored pair). The customer's records and the
    record are clustered again from all their pairs, as a batch clusters them; when that
    makes exactly the record with some of them and the rest, the customer splits: the part
    with more records keeps the ID, the other gets a new one with the lineage (``assign``).

    None (the record stays refused, as before) when the customer's own pairs do not make it
    one cluster (a co-attendance join, records merged by hand, or evidence the graph holds
    and the pairs do not show), when a nameless record among them is shared by differently
    named people (a batch holds it for review), when it has more than ``MAX_SPLIT`` records
    (the pairs grow as its square), or when clustering again changes nothing."""
    if len(cand.records) > MAX_SPLIT or any(
        link.rule == MANUAL_MERGE for link in cand.links.values()
    ):
        return None
    recs = [record, *cand.records]
    rows = [me, *(frames.row(r) for r in cand.records)]
    people = [person, *(guard_person(row, settings) for row in rows[1:])]
    keys = [r.key for r in recs]
    edges, apart = _pair_edges(rows, keys, settings, scorer, never)
    if _hold_out_ambiguous(people, edges, settings)[1]:
        return None  # a nameless record that differently named people share: review
    guards = settings.guards
    alone = cluster(
        people[1:],
        [replace(e, a=e.a - 1, b=e.b - 1) for e in edges if e.a],
        [(a - 1, b - 1) for a, b in apart if a],
        guards,
    )
    if len(set(alone.labels)) != 1:
        return None
    together = cluster(people, edges, apart, guards)
    labels = together.labels
    taken = [i for i in range(1, len(recs)) if labels[i] == labels[0]]
    rest = [i for i in range(1, len(recs)) if labels[i] != labels[0]]
    if not taken or len({labels[i] for i in rest}) != 1:
        return None
    parts = [[0, *taken], rest]
    assigned = assign(
        [[keys[i] for i in p] for p in parts], {k: cand.id for k in keys[1:]}
    )
    best = _best_edges(together)
    mine, left = (
        _split_part(recs, keys, p, a, best, cand, settings)
        for p, a in zip(parts, assigned, strict=True)
    )
    ours = {r.key for r in mine.records}
    split = tuple((k, cand.id) for k in keys[1:] if (k in ours) == (mine.id != cand.id))
    # The record's pairs with the customer as the new clustering decided them, and each
    # pair it refused (the customer's link that no longer holds among them).
    decided = [
        PairEvidence(keys[e.a], keys[e.b], "linked", e.rule, e.score)
        for e in together.tree
        if e.a == 0
    ] + [
        PairEvidence(
            keys[r.edge.a],
            keys[r.edge.b],
            "separated",
            r.edge.rule,
            r.edge.score,
            r.reason,
        )
        for r in together.refused
    ]
    theirs = set(keys[1:])
    kept = [
        p
        for p in pairs
        if not (p.a == record.key and p.b in theirs and p.decision != "review")
    ]
    return Outcome(mine, (), left, None, tuple(kept + decided), split=split)


def _pair_edges(
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[Key],
    settings: LinkageSettings,
    scorer: PairScorer,
    never: frozenset[tuple[Key, Key]],
) -> tuple[list[Edge], list[tuple[int, int]]]:
    """Every pair of ``rows`` as a batch makes its edges (an identity rule, or a score at
    or above ``auto_match``), and the pairs a never-link decision keeps apart."""
    edges, apart = [], []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if (keys[i], keys[j]) in never or (keys[j], keys[i]) in never:
                apart.append((i, j))
            p = _score(scorer, (keys[i], rows[i]), (keys[j], rows[j])).match_probability
            rule = rules.first_match(settings.identity_rules, rows[i], rows[j])
            if rule:
                edges.append(Edge(i, j, RULE, rule[0], p, rule[1]))
            elif p >= settings.auto_match:
                edges.append(Edge(i, j, SCORED, "splink", p))
    return edges, apart


def _score(
    scorer: PairScorer,
    x: tuple[Key, Mapping[str, Any]],
    y: tuple[Key, Mapping[str, Any]],
) -> Scored:
    """Two records' pair scored as a batch scores it: Splink's left side is the smaller
    key (a batch orders records by key), and a reversed level looks one way only."""
    (_, left), (_, right) = sorted((x, y), key=lambda kr: kr[0])
    return scorer.score(left, right)


def _split_part(
    recs: Sequence[SourceRecord],
    keys: Sequence[Key],
    members: Sequence[int],
    assigned: Assigned,
    best: Mapping[int, Edge],
    cand: Candidate,
    settings: LinkageSettings,
) -> Customer:
    """One part of a split customer; a record keeps its stored link while the record it
    names is in its part, else it takes the new clustering's."""
    customer = _customer(recs, keys, members, assigned, best, settings)
    part = {keys[i] for i in members}
    return replace(
        customer,
        links=tuple(
            stored
            if (stored := cand.links.get(link.record)) and stored.matched in part
            else link
            for link in customer.links
        ),
    )


def _co_attended(
    person: Person,
    joined: Sequence[Candidate],
    band: Mapping[str, tuple[float, Key]],
    by_id: Mapping[str, Candidate],
    guarded: Mapping[str, list[Person]],
    settings: LinkageSettings,
) -> list[tuple[str, str]]:
    """The candidates a review-band pair with the record joins by co-attendance, as a
    batch's last clustering pass joins them (``cluster.cluster``): while one of them was at
    an event the record's customer was at (which comes back with it), and the guards
    allow."""
    events = set(person.events).union(*(c.events for c in joined))
    people = [person, *(p for c in joined for p in guarded[c.id])]
    done = {c.id for c in joined}
    waiting = sorted(
        (cid for cid in band if cid not in done), key=lambda cid: (-band[cid][0], cid)
    )
    out: list[tuple[str, str]] = []
    while waiting:
        later = []
        for cid in waiting:
            shared = by_id[cid].events & events
            if not shared:
                later.append(cid)
            elif refusal(people, guarded[cid], settings.guards) is None:
                out.append((cid, min(shared)))
                people += guarded[cid]
                events |= by_id[cid].events
        if len(later) == len(waiting):
            break
        waiting = later
    return out


def _ambiguous(named: Sequence[Sequence[Person]], settings: LinkageSettings) -> bool:
    """A nameless record whose matches are differently named people cannot say whose it
    is (the batch holds it out the same way)."""
    names = [{n for p in people for n in p.names} for people in named]
    names = [n for n in names if n]
    return any(
        not names_compatible(x, y, settings.given_name_similarity)
        for i, x in enumerate(names)
        for y in names[i + 1 :]
    )


def _outcome(
    record: SourceRecord,
    candidates: Sequence[Candidate],
    joined: Sequence[Candidate],
    best: Mapping[str, tuple[Edge, Key]],
    pairs: list[PairEvidence],
    settings: LinkageSettings,
) -> Outcome:
    former = next(
        (c for c in candidates if any(r.key == record.key for r in c.records)), None
    )
    recs = [record] + [r for c in joined for r in c.records if r.key != record.key]
    previous = {r.key: c.id for c in joined for r in c.records if r.key != record.key}
    joined_ids = {c.id for c in joined}
    if former is not None and (former.id in joined_ids or len(former.records) == 1):
        previous[record.key] = former.id  # it stays, or its customer moves with it
    (assigned,) = assign([[r.key for r in recs]], previous)
    index = {r.key: i for i, r in enumerate(recs)}
    # The strongest joining edge explains the new record (recs[0]); the others keep theirs.
    top = max(
        (
            Edge(0, index[hit], e.strength, e.rule, e.score, e.value)
            for cid, (e, hit) in best.items()
            if cid in joined_ids and hit in index
        ),
        key=lambda e: (e.strength, e.score or 0.0),
        default=None,
    )
    customer = _customer(
        recs,
        [r.key for r in recs],
        range(len(recs)),
        assigned,
        {0: top} if top else {},
        settings,
    )
    stored = {k: link for c in joined for k, link in c.links.items() if k != record.key}
    customer = replace(
        customer,
        links=tuple(stored.get(link.record, link) for link in customer.links),
    )
    left, emptied = None, None
    if former is not None and former.id not in joined_ids:
        rest = [r for r in former.records if r.key != record.key]
        if rest:
            left = _rebuilt(former, rest, settings)
        elif former.id != customer.id:
            emptied = former.id
    absorbed = tuple(c.id for c in joined if c.id != customer.id)
    return Outcome(customer, absorbed, left, emptied, tuple(pairs))


def _rebuilt(
    former: Candidate, rest: Sequence[SourceRecord], settings: LinkageSettings
) -> Customer:
    """The former customer without the record that left: same ID, golden values again."""
    (assigned,) = assign([[r.key for r in rest]], {r.key: former.id for r in rest})
    customer = _customer(
        list(rest), [r.key for r in rest], range(len(rest)), assigned, {}, settings
    )
    return replace(
        customer,
        links=tuple(former.links.get(link.record, link) for link in customer.links),
    )


class Overlay:
    """The customers as a transaction's records have left them so far, over what was read
    at its start.

    A transaction's records are decided one after another, each seeing the ones before,
    but their candidates were read in one query before any was written. This holds what
    that read cannot show: customers grown, merged, left or made by the records before,
    and those records' blocking keys, so a record also finds a customer made earlier in
    the same transaction. A record gets the candidates a fresh read after writing the
    records before it would give (tests/api/test_incremental.py compares the two).
    """

    def __init__(
        self,
        read: Mapping[str, Candidate],
        junk: Collection[str],
        events: dict[Key, frozenset[str]] | None = None,
    ) -> None:
        self._read = read  # as the transaction's read found them
        # The events of the records decided so far (a ticket's), by record: their
        # touchpoints are written after all of a run's records, and co-attendance needs
        # them now. A run passes one map to each transaction's overlay.
        self._decided = {} if events is None else events
        self._junk = frozenset(junk)  # keys too common to be evidence
        self._now: dict[str, Candidate | None] = {}  # touched customers; None: gone
        self._into: dict[str, str] = {}  # absorbed customer -> the one it went into
        self._owner: dict[Key, str] = {}  # records of touched customers -> customer
        self._blocks: dict[str, list[Key]] = {}  # key -> this transaction's records
        self._absorbed: dict[str, frozenset[str]] = {}  # all a customer took in
        self._last: dict[str, Customer] = {}  # each touched customer's latest state
        self._held = {k for c in read.values() for k in c.ambiguous}  # held-out records

    def candidates(self, ids: Sequence[str], keys: Sequence[str]) -> list[Candidate]:
        """The customers a record whose read found ``ids`` and whose blocking keys are
        ``keys`` could join, as they are now."""
        found = [self.current(cid) for cid in ids]
        found += [
            self._owner[r]
            for k in keys
            if k not in self._junk
            for r in self._blocks.get(k, ())
        ]
        return [
            self._with_events(c)
            for cid in dict.fromkeys(found)
            if (c := self.state(cid))
        ]

    def _with_events(self, person: Candidate) -> Candidate:
        """``person`` with the events of its records decided before."""
        extra = [self._decided[r.key] for r in person.records if r.key in self._decided]
        return replace(person, events=person.events.union(*extra)) if extra else person

    def apply(
        self, record: SourceRecord, keys: Sequence[str], outcome: Outcome
    ) -> None:
        """What deciding ``record`` did to the customers."""
        for k in keys:
            self._blocks.setdefault(k, []).append(record.key)
        if outcome.held:
            self._held.add(record.key)
        else:
            self._held.discard(record.key)  # a changed record decided again
        if record.events:
            self._decided[record.key] = frozenset(record.events)
        else:
            self._decided.pop(record.key, None)  # a changed record decided again
        survivor = outcome.customer.id
        # Touchpoints stay with their person; a merge hands the absorbed ones' over.
        events = {
            survivor: self._events(survivor).union(
                *(self._events(gone) for gone in outcome.absorbed)
            )
        }
        taken = set(outcome.absorbed) | set(self._absorbed.get(survivor, ()))
        for gone in outcome.absorbed:
            taken |= self._absorbed.pop(gone, frozenset())
            self._into[gone] = survivor
            self._now[gone] = None
            self._last.pop(gone, None)
        if outcome.emptied:
            self._now[outcome.emptied] = None
            self._last.pop(outcome.emptied, None)
        self._absorbed[survivor] = frozenset(taken)
        for customer in (outcome.customer, outcome.left):
            if customer is None:
                continue
            self._now[customer.id] = Candidate(
                customer.id,
                customer.records,
                {link.record: link for link in customer.links},
                events.get(customer.id) or self._events(customer.id),
                frozenset(r.key for r in customer.records if r.key in self._held),
            )
            self._last[customer.id] = customer
            for r in customer.records:
                self._owner[r.key] = customer.id

    def written(self) -> list[Customer]:
        """Each customer the transaction touched and kept, as it ends, with every
        customer it absorbed on the way (their IDs become its former IDs)."""
        return [
            replace(c, absorbed=tuple(sorted(self._absorbed.get(cid, ()))))
            for cid, c in sorted(self._last.items())
        ]

    def state(self, cid: str) -> Candidate | None:
        """Customer ``cid`` as it is now: None when it is gone or was not read."""
        return self._now[cid] if cid in self._now else self._read.get(cid)

    def _events(self, cid: str) -> frozenset[str]:
        state = self.state(cid)
        return state.events if state else frozenset()

    def person_of(self, record: Key, read_as: str | None = None) -> str | None:
        """The customer ``record`` belongs to as the transaction ends: its own if the
        transaction decided it, else that of the person the read found it with."""
        if record in self._owner:
            return self.current(self._owner[record])
        return None if read_as is None else self.current(read_as)

    def merged(self) -> dict[str, str]:
        """Each customer absorbed in the transaction -> the one it is part of at its end."""
        return {gone: self.current(gone) for gone in sorted(self._into)}

    def current(self, cid: str) -> str:
        """The customer ``cid`` is part of now (itself, unless it was merged away)."""
        while cid in self._into:
            cid = self._into[cid]
        return cid
