"""The main job, end to end: sources file -> ingest/quarantine -> resolve -> validate -> Neo4j.

Lives in ``api`` because it is the one place that chains ``linkage`` output into ``graph``.
Every row is checked against the ontology's shapes (``ontology.validate``) before it is
written: a row that violates one is quarantined with the shape, the property and the value,
and what depends on it (a club without its dealer, an ownership of an invalid vehicle) is
quarantined with it, so nothing half-valid reaches the graph and nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from operator import attrgetter
from pathlib import Path
from typing import Any, LiteralString

import neo4j

from api import touchpoint_load
from graph import (
    bulk,
    customer_value,
    influence,
    load,
    privacy,
    schema,
    segment_compile,
    segments,
)
from graph.cypher import lifecycle
from graph.cypher import referrals as referral_cypher
from graph.cypher import resolution as resolution_graph
from graph.cypher import touchpoints as touchpoint_cypher
from graph.cypher.customer import search_text
from linkage import batch_gc, consents
from linkage import referrals as rf
from linkage import touchpoints as tp
from linkage.ids import Key
from linkage.records import (
    ClubClaim,
    ConsentClaim,
    Quarantined,
    SourceRecord,
    VehicleClaim,
    parse_record,
)
from linkage.resolve import (
    MANUAL_MERGE,
    NO_DECISIONS,
    Decisions,
    Engine,
    Resolution,
    resolve,
)
from linkage.settings import LinkageSettings
from linkage.settings import default as default_linkage
from linkage.sources import Ingested, ingest, load_sources
from linkage.tombstones import NONE as NO_TOMBSTONES
from linkage.tombstones import Tombstones
from ontology.errors import C360Error
from ontology.model import Ontology
from ontology.model import default as default_ontology
from ontology.validate import Validator, Violation, validators


@dataclass(frozen=True)
class PipelineResult:
    lines: int
    records: int
    persons: int
    quarantined: tuple[Quarantined, ...]
    removed_persons: int
    unmapped: dict[str, set[str]]
    touchpoint_rows: dict[str, int]
    touchpoints: int
    referrals: int
    held: int = 0  # touchpoints that found no person, held for a later change
    held_referrals: int = 0  # referral mentions that found no person, held the same way
    review: int = 0
    households: int = 0
    trained: bool = True  # False when the stored model was reused
    refreshed_segments: tuple[segments.Refreshed, ...] = ()

    @property
    def consolidation_rate(self) -> float:
        """1 - unified persons / source records (domain brief §8)."""
        return 1 - self.persons / self.records if self.records else 0.0


class Writes:
    """The rows of every write of a batch run (``graph.load`` shapes), validated by the gate
    (what it refuses is quarantined), made one kind at a time in the order they are
    written, and streamed where there are millions (records, persons, evidence,
    touchpoints): a writer takes each kind as it comes and lets it go. Each method is
    called once, in the order below; ``sizes`` are the expected counts (for progress)
    and ``counts`` what was made."""

    def __init__(
        self,
        data: Ingested,
        gate: Gate,
        records: list[SourceRecord],
        resolution: Resolution,
        stones: Tombstones,
        at: str,
        former: dict[str, list[str]],
    ) -> None:
        self._data, self._gate, self._records = data, gate, records
        self._resolution, self._stones, self._at, self._former = (
            resolution,
            stones,
            at,
            former,
        )
        self._directory = tp.Directory(tp.views(resolution.customers))
        self._first_leads: dict[str, str] = {}
        self._touchpoints_done = False
        # Touchpoints that found no person, with why: kept for a later change.
        self.held: list[tuple[tp.Touchpoint, str]] = []
        self.held_referrals: list[tuple[rf.Mention, str]] = []  # the same, of referrals
        # The records resolution kept (one per key: the latest update of a duplicated one).
        self._kept = {id(r) for c in resolution.customers for r in c.records}
        self.sizes = {
            "records": len(self._kept),
            "persons": len(resolution.customers),
            "evidence": len(resolution.pairs),
            "touchpoints": len(data.touchpoints),
        }
        self.counts = {"records": 0, "touchpoints": 0, "referrals": 0}

    def reference(self) -> dict[str, list[dict[str, Any]]]:
        return self._gate.reference(self._data)

    def records(self) -> Iterator[dict[str, Any]]:
        blocks = self._resolution.blocks
        for r in self._records:
            if id(r) in self._kept:
                self.counts["records"] += 1
                yield {**self._gate.record_row(r), "blocks": blocks[r.key]}

    def persons(self) -> Iterator[dict[str, Any]]:
        return self._gate.person_rows(self._resolution, self._at, self._former)

    def evidence(self) -> Iterator[dict[str, Any]]:
        """Of a pair given twice (a guard's refusal and a review, say), the last: what
        the batch write's MERGE ... SET would leave."""
        last = {frozenset((e.a, e.b)): i for i, e in enumerate(self._resolution.pairs)}
        keep = set(last.values())
        del last
        return self._gate.evidence_rows(self._resolution, keep)

    def households(self) -> list[dict[str, Any]]:
        return list(self._gate.household_rows(self._resolution))

    def touchpoints(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(class, row) of each touchpoint written, as they come."""
        rows = touchpoint_load.rows(
            self._stones.touchpoints(self._data.touchpoints, self._directory),
            self._directory,
            self._gate,
            self.held,
        )
        for label, row in touchpoint_load.first_leads(rows, self._first_leads):
            self.counts["touchpoints"] += 1
            yield label, row
        self._touchpoints_done = True

    def referrals(self) -> list[dict[str, Any]]:
        if not self._touchpoints_done:
            raise RuntimeError(
                "referrals need the touchpoints first (their first leads)"
            )
        rows, _ = touchpoint_load.referral_rows(
            self._stones.mentions(self._data.referrals, self._directory),
            self._directory,
            self._first_leads,
            self._gate,
            held=self.held_referrals,
        )
        self.counts["referrals"] = len(rows)
        return rows


# A bulk import: given the rows, replaces the (empty) database with them and returns when
# the server answers again (``bulk_import`` for the managed Neo4j).
Importer = Callable[[Writes, Ontology, load.Progress | None], None]


class NotEmptyError(C360Error):
    """A bulk import replaces the database: it is only for a first load."""

    exit_code = 2


def run(
    driver: neo4j.Driver,
    sources_path: Path,
    progress: load.Progress | None = None,
    database: str = "neo4j",
    model: Ontology | None = None,
    linkage_settings: LinkageSettings | None = None,
    retrain: bool = False,
    as_of: dt.datetime | None = None,
    segment_definitions: tuple[segment_compile.Segment, ...] | None = None,
    importer: Importer | None = None,
    engine: Engine = Engine.DUCKDB,
) -> PipelineResult:
    """Ingest every source of ``sources_path``, resolve, validate, write the graph. Idempotent.

    ``as_of`` is when time rules (the sleeper-lead threshold, ended ownerships, RFM and
    segment windows) are judged: now, unless the data is an export of a known day. Segments are
    ``graph/segments.toml`` (or ``$C360_SEGMENTS``) unless ``segment_definitions`` are given.

    The model stored for these settings is reused unless ``retrain``: re-training on every
    run would move borderline pairs, and with them customer IDs, for no new evidence.

    ``importer`` writes a first load with the offline importer instead of the batch
    write (``bulk_import``); the database must be empty. What follows the write (households
    pruned, the model stored, influence, stages, values, segments) is the same either way.
    ``engine``: where Splink trains and scores (``linkage.resolve.Engine``).
    """
    model = model or default_ontology()
    settings = linkage_settings or default_linkage()
    if segment_definitions is None and "Segment" in model.nodes:
        segment_definitions = segment_compile.load(None, model)  # fail before any work
    as_of = (as_of or dt.datetime.now()).replace(microsecond=0)
    if importer is not None:
        _require_empty(driver, database)
    else:
        schema.apply_schema(driver, model, database)
    stored = (
        None if retrain else resolution_graph.model(driver, database, settings.version)
    )
    stones = privacy.tombstones(driver, database)
    data, gate, records, resolution = resolve_sources(
        sources_path,
        model,
        settings,
        previous=resolution_graph.previous_assignment(driver, database),
        decisions=decisions_from(resolution_graph.decisions(driver, database)),
        progress=progress,
        linkage_model=stored,
        tombstones=stones,
        engine=engine,
    )
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    former = resolution_graph.former_ids(driver, database)
    writes = Writes(data, gate, records, resolution, stones, at, former)
    if importer is not None:
        importer(writes, model, progress)
        bulk.forget_bookmarks(driver, database)
        schema.apply_schema(driver, model, database)
    else:
        _write(driver, writes, model, progress, database)
    # Rows that found no person wait for a change that gives them one (the write has
    # taken those held before that have one now).
    touchpoint_load.hold(driver, writes.held, gate, database)
    touchpoint_load.hold_referrals(driver, writes.held_referrals, gate, database)
    gate.quarantined += stones.report()  # counts only: what was erased is not named
    resolution_graph.prune_households(driver, database)
    resolution_graph.save_model(
        driver, database, resolution.version, resolution.model, at
    )
    removed = load.prune_orphans(driver, database)
    influence.update(driver, database)  # after the prune: only people who remain
    with driver.session(database=database) as session:  # CALL IN TRANSACTIONS: implicit
        session.run(touchpoint_cypher.PRUNE).consume()
        session.run(
            lifecycle.STAGES, asOf=as_of, sleeperDays=lifecycle.SLEEPER_DAYS
        ).consume()
    customer_value.update(driver, as_of, database)
    refreshed = segments.refresh(  # after the stages and values: some rules read them
        driver, segment_definitions or (), as_of, database, progress
    )
    return PipelineResult(
        lines=data.lines,
        records=writes.counts["records"],
        persons=len(resolution.customers),
        quarantined=tuple(gate.quarantined),
        removed_persons=removed,
        unmapped=data.unmapped,
        touchpoint_rows=dict(data.touchpoint_rows),
        touchpoints=writes.counts["touchpoints"],
        held=len(writes.held),
        held_referrals=len(writes.held_referrals),
        referrals=writes.counts["referrals"],
        review=sum(1 for p in resolution.pairs if p.decision == "review"),
        households=len(resolution.households),
        trained=stored is None,
        refreshed_segments=tuple(refreshed),
    )


def _require_empty(driver: neo4j.Driver, database: str) -> None:
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN count(n) > 0 AS some LIMIT 1", database_=database
    )
    if records and records[0]["some"]:
        raise NotEmptyError(
            f"database {database} already holds a graph: a bulk import replaces the whole "
            "database, so it is only for a first load (run without --bulk-import to update)"
        )


def _write(
    driver: neo4j.Driver,
    writes: Writes,
    model: Ontology,
    progress: load.Progress | None,
    database: str,
) -> None:
    """The batch write: ``UNWIND ... MERGE`` in bounded transactions; a batch run replaces
    all evidence and referrals."""
    resolution_graph.clear_evidence(driver, database)
    for kind, rows in writes.reference().items():
        load.load_rows(
            driver,
            load.REFERENCE[kind],
            rows,
            what=kind,
            progress=progress,
            database=database,
        )
    steps: list[
        tuple[LiteralString, Callable[[], Iterable[dict[str, Any]]], str, int | None]
    ] = [
        (load.RECORDS, writes.records, "source records", writes.sizes["records"]),
        (load.PERSONS, writes.persons, "persons", writes.sizes["persons"]),
        (
            resolution_graph.EVIDENCE,
            writes.evidence,
            "match evidence",
            writes.sizes["evidence"],
        ),
        (resolution_graph.HOUSEHOLDS, writes.households, "households", None),
    ]
    for query, made, what, total in steps:
        load.load_rows(
            driver,
            query,
            made(),
            what=what,
            progress=progress,
            database=database,
            total=total,
        )
    # One query per class: the classes' rows are gathered first.
    by_label: dict[str, list[dict[str, Any]]] = {}
    for label, row in writes.touchpoints():
        by_label.setdefault(label, []).append(row)
    touchpoint_load.write(driver, model, by_label, progress, database)
    del by_label
    with driver.session(database=database) as session:
        session.run(referral_cypher.CLEAR).consume()  # CALL IN TRANSACTIONS: implicit
        session.run(referral_cypher.CLEAR_HELD).consume()  # held again after the write
    load.load_rows(
        driver,
        referral_cypher.WRITE,
        writes.referrals(),
        what="referrals",
        progress=progress,
        database=database,
    )


def resolve_sources(
    sources_path: Path,
    model: Ontology,
    settings: LinkageSettings,
    previous: dict[Key, str] | None = None,
    decisions: Decisions = NO_DECISIONS,
    progress: load.Progress | None = None,
    linkage_model: dict[str, Any] | None = None,
    tombstones: Tombstones = NO_TOMBSTONES,
    engine: Engine = Engine.DUCKDB,
) -> tuple[Ingested, Gate, list[SourceRecord], Resolution]:
    """Ingest, validate and resolve, writing nothing (``c360 linkage evaluate`` stops here).

    Records an erasure left a tombstone for are skipped before anything else sees them.
    """
    with batch_gc.paused():
        data = ingest(load_sources(sources_path, model), progress)
        gate = Gate(validators(model), list(data.quarantined))
        records = gate.records(tombstones.records(data.records))
        resolution = resolve(
            records,
            settings,
            previous,
            decisions,
            model=linkage_model,
            progress=progress,
            engine=engine,
        )
    gate.quarantined += resolution.quarantined
    return data, gate, records, resolution


def decisions_from(rows: list[tuple[str, list[Key], list[Key]]]) -> Decisions:
    """Manual decisions as must-link and cannot-link pairs.

    merge and split: the decision's records are one person; split and never_link: none of
    them ever shares a person with the records it names as apart.
    """
    merge: list[tuple[Key, Key]] = []
    never: list[tuple[Key, Key]] = []
    for decision, keys, apart in rows:
        if decision in {"merge", "split"}:
            merge += [(keys[0], k) for k in keys[1:]]
        never += [(a, b) for a in keys for b in apart]
    return Decisions(tuple(merge), tuple(never))


def _blank(v: str | None) -> str | None:
    return v or None


class Gate:
    """Shapes the rows for ``graph.load`` and lets through only what the ontology accepts."""

    def __init__(
        self, checks: dict[str, Validator], quarantined: list[Quarantined]
    ) -> None:
        self.checks = checks
        self.quarantined = quarantined

    def check(
        self,
        label: str,
        where: str,
        props: dict[str, Any],
        links: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        clean, problems = self.checks[label].check(props, links)
        for v in problems:
            self.quarantined.append(_quarantine(where, v))
        return None if problems else clean

    def reference(self, data: Ingested) -> dict[str, list[dict[str, Any]]]:
        """Reference CSV rows shaped for ``graph.load.REFERENCE``, in dependency order."""
        ref = data.reference
        out: dict[str, list[dict[str, Any]]] = {}

        def keep(
            kind: str,
            label: str,
            key: str,
            rows: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
        ) -> set[str]:
            kept = out.setdefault(kind, [])
            for props, links, extra in rows:
                clean = self.check(
                    label, f"reference {kind} {props.get(key)}", props, links
                )
                if clean is not None:
                    kept.append({"props": clean, **extra})
            return {str(r["props"][key]) for r in kept}

        countries = keep(
            "countries",
            "Country",
            "code",
            [
                (
                    {"code": r.get("code"), "name": r.get("name")},
                    {"inRegion": r.get("region")},
                    {"region": _blank(r.get("region"))},
                )
                for r in ref.get("countries", [])
            ],
        )
        dealers = keep(
            "dealers",
            "Dealer",
            "code",
            [
                (
                    {
                        "code": r.get("code"),
                        "name": r.get("name"),
                        "dealerType": r.get("kind"),
                    },
                    {
                        "inCountry": r.get("country")
                        if r.get("country") in countries
                        else None
                    },
                    {"country": r.get("country")},
                )
                for r in ref.get("dealers", [])
            ],
        )
        clubs = keep(
            "clubs",
            "Club",
            "code",
            [
                (
                    {
                        "code": r.get("code"),
                        "name": r.get("name"),
                        "founded": r.get("founded"),
                    },
                    {
                        "affiliatedWith": r.get("dealer")
                        if r.get("dealer") in dealers
                        else None
                    },
                    {"dealer": r.get("dealer")},
                )
                for r in ref.get("clubs", [])
            ],
        )
        keep(
            "models",
            "Model",
            "code",
            [
                (
                    {
                        "code": r.get("code"),
                        "name": r.get("name"),
                        "family": r.get("family"),
                        "marketSegment": r.get("segment"),
                        "listPrice": r.get("list_price_eur"),
                        "limitedEdition": bool(r.get("limited_units")),
                        "limitedUnits": r.get("limited_units"),
                        "specialTrim": r.get("special_trim"),
                        "specialTrimUnits": r.get("special_trim_units"),
                    },
                    {},
                    {},
                )
                for r in ref.get("models", [])
            ],
        )
        keep(
            "events",
            "Event",
            "id",
            [
                (
                    {
                        "id": r.get("id"),
                        "eventType": r.get("type"),
                        "name": r.get("name"),
                        "startDate": r.get("start"),
                        "capacity": r.get("capacity"),
                        "organiser": r.get("organiser"),
                    },
                    {},
                    {
                        "dealer": r.get("dealer")
                        if r.get("dealer") in dealers
                        else None,
                        "club": r.get("club") if r.get("club") in clubs else None,
                    },
                )
                for r in ref.get("events", [])
            ],
        )
        return out

    def records(self, records: list[SourceRecord]) -> list[SourceRecord]:
        """Source records whose own values pass the SourceRecord shape; the rest are quarantined."""
        self._record_props: dict[tuple[str, str], dict[str, Any]] = {}
        check = self.checks["SourceRecord"].check
        kept = []
        for r in records:
            clean, problems = check(record_props(r))
            if problems:  # where it came from is only spelled out for what is held back
                where = f"{r.source}/{r.source_id}"
                self.quarantined += [_quarantine(where, v) for v in problems]
                continue
            self._record_props[r.key] = clean
            kept.append(r)
        return kept

    def record_row(self, r: SourceRecord) -> dict[str, Any]:
        where = f"{r.source}/{r.source_id}"
        email = (
            self.check("Email", where, {"value": r.email_key}) if r.email_key else None
        )
        phone = (
            self.check("Phone", where, {"value": r.phone_key}) if r.phone_key else None
        )
        contact = {
            "email": email["value"] if email else None,
            "phone": phone["value"] if phone else None,
        }
        return {
            "source": r.source,
            "sourceId": r.source_id,
            "props": self._record_props[r.key],
            "email": contact["email"],
            "emailUse": {"raw": r.email},
            "phone": contact["phone"],
            "phoneUse": {"raw": r.phone},
            "consents": [
                {"props": props, **dict.fromkeys(("email", "phone")), **about}
                for c in r.consents
                if (props := self.check("Consent", where, consent_props(r, c)))
                for about in [_contact_of(c, contact)]
            ],
        }

    def person_rows(
        self, resolution: Resolution, at: str, former: dict[str, list[str]]
    ) -> Iterator[dict[str, Any]]:
        for p in resolution.customers:
            names = {n for r in p.records for n in (r.first_name, r.last_name) if n}
            names |= {n for n in (p.given_name, p.family_name) if n}
            where = f"person {p.id}"
            old = {p.id, *p.absorbed}
            former_ids = sorted(
                ({i for o in old for i in former.get(o, [])} | set(p.absorbed)) - {p.id}
            )
            props = self.check(
                "Person",
                where,
                {
                    "id": p.id,
                    "givenName": p.given_name,
                    "familyName": p.family_name,
                    "displayName": p.display_name,
                    "birthDate": p.birth_date,
                    "countryCode": p.country,
                    "language": p.language,
                    "emails": list(p.emails),
                    "phones": list(p.phones),
                    "formerIds": former_ids or None,
                    "splitFrom": list(p.split_from) or None,
                    "searchText": search_text([*sorted(names), *p.emails, *p.phones]),
                },
            )
            if props is None:
                continue
            golden: dict[tuple[str, str], list[str]] = {}
            for name, g in p.golden:
                golden.setdefault(g.record, []).append(name)
            vins = _stated_by(p.records, lambda r: [v.vin for v in r.vehicles])
            clubs = _stated_by(p.records, lambda r: [c.club for c in r.clubs])
            yield (
                {
                    "id": p.id,
                    "props": props,
                    "preferredDealer": p.preferred_dealer,
                    "links": self._edges(
                        "RESOLVED_TO",
                        where,
                        [
                            (
                                {"source": link.record[0], "sourceId": link.record[1]},
                                {
                                    "rule": link.rule,
                                    "rulesetVersion": resolution.version,
                                    "matchScore": link.score,
                                    "matchedSource": link.matched[0]
                                    if link.matched
                                    else None,
                                    "matchedSourceId": link.matched[1]
                                    if link.matched
                                    else None,
                                    "matchedValue": link.value,
                                    "goldenFields": golden.get(link.record),
                                    "at": at,
                                    "actor": "manual"
                                    if link.rule == MANUAL_MERGE
                                    else "auto",
                                },
                            )
                            for link in p.links
                        ],
                    ),
                    "vehicles": self._edges(
                        "OWNS",
                        where,
                        [
                            (
                                {"vin": v.vin, "model": v.model},
                                {
                                    "certificationStatus": v.certification,
                                    "ownedFrom": v.since,
                                    "ownedThrough": v.until,
                                    "statedBy": vins.get(v.vin),
                                },
                            )
                            for v in p.vehicles
                            if self.check("Vehicle", where, {"vin": v.vin}) is not None
                        ],
                    ),
                    "clubs": self._edges(
                        "MEMBER_OF",
                        where,
                        [
                            (
                                {"club": c.club},
                                {
                                    "membershipNumber": c.member_no,
                                    "since": c.since,
                                    "membershipStatus": c.status,
                                    "statedBy": clubs.get(c.club),
                                },
                            )
                            for c in p.clubs
                        ],
                    ),
                }
            )

    def evidence_rows(
        self, resolution: Resolution, only: set[int] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Pairwise evidence as MATCHED relationships (first record = smaller key); ``only``
        these positions of ``resolution.pairs`` when given."""
        for i, e in enumerate(resolution.pairs):
            if only is not None and i not in only:
                continue
            a, b = sorted((e.a, e.b))
            props = self.check(
                "MATCHED",
                f"evidence {a[0]}/{a[1]} {b[0]}/{b[1]}",
                {
                    "decision": e.decision,
                    "rule": e.rule,
                    "rulesetVersion": resolution.version,
                    "matchScore": e.score,
                    "decisionReason": e.reason,
                    "features": [f"{k}={v:+.2f}" for k, v in e.features] or None,
                },
            )
            if props is not None:
                yield {"a": list(a), "b": list(b), "props": props}

    def household_rows(self, resolution: Resolution) -> list[dict[str, Any]]:
        rows = []
        for h in resolution.households:
            shared = sorted(
                {s.rule for s in h.evidence}
            )  # rule names only: values are PII
            members = [
                {
                    "id": resolution.customers[m].id,
                    "props": {"evidence": ", ".join(shared)},
                }
                for m in h.members
            ]
            if self.check("Household", f"household {h.id}", {"id": h.id}) is not None:
                rows.append({"id": h.id, "members": members})
        return rows

    def _edges(
        self,
        rel_type: str,
        where: str,
        edges: list[tuple[dict[str, Any], dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Relationship rows (target keys + validated properties); invalid ones are quarantined."""
        out = []
        for target, props in edges:
            clean = self.check(
                rel_type,
                f"{where} {rel_type} {'/'.join(str(v) for v in target.values())}",
                props,
            )
            if clean is not None:
                out.append({**target, "props": clean})
        return out


def _stated_by(
    records: Iterable[SourceRecord], claims: Callable[[SourceRecord], list[str]]
) -> dict[str, list[str]]:
    """Each vehicle (or club) the records claim -> the records (source/sourceId) that
    claim it, sorted: the ``statedBy`` of the person's ownership (or membership)."""
    out: dict[str, list[str]] = {}
    for r in sorted(records, key=lambda r: r.key):
        for claim in dict.fromkeys(claims(r)):
            out.setdefault(claim, []).append(f"{r.source}/{r.source_id}")
    return out


_CANONICAL = {  # record_props' ontology names -> parse_record's canonical keys
    "givenName": "first_name",
    "familyName": "last_name",
    "email": "email",
    "phone": "phone",
    "countryCode": "country",
    "updatedAt": "updated_at",
    "preferredDealerCode": "preferred_dealer",
    "appAccount": "app_account",
}


_PROP_NAMES = ("source", "sourceId", *_CANONICAL)
_PROP_VALUES = attrgetter("source", "source_id", *_CANONICAL.values())


def record_props(r: SourceRecord) -> dict[str, Any]:
    """A source record's raw values under the ontology's property names (SourceRecord shape)."""
    props = dict(zip(_PROP_NAMES, _PROP_VALUES(r), strict=True))
    props.update(r.attributes)
    return props


def consent_props(r: SourceRecord, c: ConsentClaim) -> dict[str, Any]:
    """A consent statement of a record under the ontology's names (Consent shape)."""
    return {
        "consentKey": consents.key(r.source, r.source_id, c),
        "channel": c.channel,
        "purpose": c.purpose,
        "consentStatus": c.status,
        "at": c.at,
        "wordingVersion": c.wording,
    }


def _contact_of(c: ConsentClaim, contact: dict[str, Any]) -> dict[str, Any]:
    """``{"email": value}`` or ``{"phone": value}``: the record's contact point the
    statement is about, if its channel has one and the record gave it."""
    kind = consents.CONTACT_POINT.get(c.channel)
    return {kind: contact[kind]} if kind and contact.get(kind) else {}


def _quarantine(where: str, v: Violation) -> Quarantined:
    value = "" if v.value is None else str(v.value)
    return Quarantined(where, f"{v.shape}: {v.message}", value, v.path)


def record_from_props(
    props: dict[str, Any],
    vehicles: Iterable[Mapping[str, Any]] = (),
    clubs: Iterable[Mapping[str, Any]] = (),
) -> SourceRecord | None:
    """A stored SourceRecord node back as a record, as a batch run compares it.

    Its vehicles and clubs live on its person: ``vehicles`` and ``clubs`` are the person's
    ``OWNS`` and ``MEMBER_OF`` (``resolution_graph.VEHICLES`` and ``CLUBS``), and the
    record takes back those it states (``statedBy``; every one, in a graph written before
    ontology 1.15.0, which does not say)."""
    raw = {v: props.get(k) for k, v in _CANONICAL.items()}
    raw |= {"source": props.get("source"), "source_id": props.get("sourceId")}
    record = parse_record(raw, "graph", [])
    if record is None:
        return None
    extra = {
        k: str(v)
        for k, v in props.items()
        if k not in _CANONICAL and k not in {"source", "sourceId"} and v is not None
    }
    me = f"{record.source}/{record.source_id}"

    def states(claim: Mapping[str, Any]) -> bool:
        by = claim["props"].get("statedBy")
        return by is None or me in by

    return replace(
        record.with_attributes(extra) if extra else record,
        vehicles=tuple(
            VehicleClaim(
                v["vin"],
                v["model"],
                v["props"].get("certificationStatus"),
                load.as_text(v["props"].get("ownedFrom")),
                load.as_text(v["props"].get("ownedThrough")),
            )
            for v in vehicles
            if states(v)
        ),
        clubs=tuple(
            ClubClaim(
                c["club"],
                c["props"].get("membershipNumber"),
                load.as_text(c["props"].get("since")),
                c["props"].get("membershipStatus"),
            )
            for c in clubs
            if states(c)
        ),
    )
