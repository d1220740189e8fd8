"""Touchpoints and referrals into the graph: attach each to resolved persons, validate, write.

Runs after the persons are written (``HAD`` and ``REFERRED`` need them). Every touchpoint
and referral read is either written or quarantined with the reason: no person found, a
value the ontology's shapes refuse, a touchpoint id seen before, or (referrals) a hop the
rules of §5 do not allow. Touchpoints stream through (millions at 1M people).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import neo4j

from graph import load
from graph.cypher import referrals as referral_cypher
from graph.cypher import touchpoints as cypher
from linkage import referrals as rf
from linkage import touchpoints as tp
from linkage.blocks import contact_block_key
from linkage.records import Quarantined
from ontology.model import Ontology

if TYPE_CHECKING:
    from api.pipeline import (
        Gate,  # the pipeline's validation gate (it imports this module)
    )


def rows(
    touchpoints: Iterable[tp.Touchpoint],
    directory: tp.Directory,
    gate: Gate,
    held: list[tuple[tp.Touchpoint, str]] | None = None,
    unattached: list[Quarantined] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(class, write row) of each touchpoint, as they come; what cannot be written goes to
    the gate's quarantine: no person (``unattached``, if given; and ``held``, with the
    reason, if given), a value the shapes refuse, or a touchpoint id already seen (the
    first row is kept, as a source's own duplicate ids are). Once all are through,
    ``held`` keeps no key a row was written for: the write replaces a held row of its key.
    """
    seen: set[str] = set()
    lost = gate.quarantined if unattached is None else unattached
    yield from _rows(tp.attach(touchpoints, directory, lost, held), gate, seen)
    if held:
        held[:] = [h for h in held if f"{h[0].source}/{h[0].source_id}" not in seen]


def _rows(
    attached: Iterable[tuple[tp.Touchpoint, str]], gate: Gate, seen: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for t, person in attached:
        key = f"{t.source}/{t.source_id}"
        if key in seen:
            gate.quarantined.append(
                Quarantined(
                    f"{t.source}/{t.source_id}",
                    f"{t.label}: duplicate touchpoint id; the first row was kept",
                    t.at,
                )
            )
            continue
        seen.add(key)
        props = {"source": t.source, "sourceId": t.source_id, "at": t.at, **t.props}
        props.update(_via(t.owner))
        links = dict(t.links)
        if "aboutVehicle" in links:
            links["aboutVehicle"] = links["aboutVehicle"].upper()
        clean = gate.check(t.label, f"{t.source}/{t.source_id}", props, links)
        if clean is None:
            continue
        yield t.label, {"props": clean, "links": links, "person": person}


def _via(owner: tp.Owner) -> dict[str, str]:
    """How a written or held touchpoint names its person, so a change finds it: the
    record it follows when that record moves to another customer, the key of its contact
    point (not the value), or the VIN whose owner on its day it goes to."""
    if owner.kind == "record":
        return {"viaRecord": "/".join(owner.value)}
    if owner.kind == "contact" and (via := contact_block_key(owner.value[0])):
        return {"viaContact": via}
    if owner.kind == "vin":
        return {"viaVehicle": owner.value[0]}
    return {}


@dataclass(frozen=True)
class Holding:
    """What holding and claiming touchpoints takes: the ontology (their classes and
    links) and the gate (their shapes)."""

    model: Ontology
    gate: Gate


def hold_rows(
    held: Iterable[tuple[tp.Touchpoint, str]], gate: Gate
) -> list[dict[str, Any]]:
    """``HOLD`` rows of touchpoints that found no person (with why), kept as read."""
    return _held(
        gate,
        cypher.HELD,
        (
            (
                f"{t.source}/{t.source_id}",
                {
                    "source": t.source,
                    "sourceId": t.source_id,
                    "at": t.at,
                    "heldReason": reason,
                    "heldRow": tp.to_json(t),
                    **_via(t.owner),
                },
            )
            for t, reason in held
        ),
    )


def _held(
    gate: Gate, label: str, rows: Iterable[tuple[str, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The ``{props}`` rows of held ``label`` (where, props) the shapes accept."""
    return [
        {"props": clean}
        for where, props in rows
        if (clean := gate.check(label, where, props)) is not None
    ]


def hold(
    target: neo4j.Driver | neo4j.ManagedTransaction,
    held: Iterable[tuple[tp.Touchpoint, str]],
    gate: Gate,
    database: str = "neo4j",
) -> int:
    """Keep ``held`` in the graph (``HeldTouchpoint``); how many."""
    return load.load_rows(
        target,
        cypher.HOLD,
        hold_rows(held, gate),
        what="held touchpoints",
        database=database,
    )


@dataclass
class Claimed:
    """Held touchpoints a change gave a person (``claim_held``)."""

    count: int = 0
    touched: set[str] = field(default_factory=set)  # the persons they went to
    mentions: list[rf.Mention] = field(default_factory=list)  # held referrals found
    signs: set[str] = field(
        default_factory=set
    )  # VINs of orders, deliveries among them


def claim_held(
    tx: neo4j.ManagedTransaction,
    holding: Holding,
    records: Mapping[tuple[str, str], str] | None = None,
    contacts: Iterable[str] = (),
    vins: Iterable[str] = (),
) -> Claimed:
    """The held touchpoints that name one of ``records`` (key -> its person now), contact
    point keys ``contacts`` or ``vins``, attached to the person the graph now gives them,
    as a batch run of all the sources attaches them; those still without one stay held
    (with the reason now)."""
    claimed = Claimed()
    records = records or {}
    wanted = {
        "records": sorted("/".join(k) for k in records),
        "contacts": sorted(set(contacts)),
        "vins": sorted(set(vins)),
    }
    if not any(wanted.values()):
        return claimed
    wanted["named"] = [
        spelled(kind, key)
        for kind, keys in (
            ("record", "records"),
            ("contact", "contacts"),
            ("vin", "vins"),
        )
        for key in wanted[keys]
    ]
    found = []
    for r in tx.run(cypher.HELD_AROUND, wanted).data():
        if r["referral"]:  # linked once the touchpoints are (``claim_referrals``)
            claimed.mentions.append(rf.from_json(r["row"]))
        else:
            found.append(r)
    if not found:
        return claimed
    held = [tp.from_json(r["row"]) for r in found]
    # Who each row names, as the graph has it now: the records' persons are known, the
    # contact points' holders were read with the rows, the VINs' owners take a read.
    by_vin = [t.owner for t in held if t.owner.kind == "vin"]
    directory = directory_from_graph(tx, by_vin) if by_vin else tp.Directory(())
    for t, r in zip(held, found, strict=True):
        if t.owner.kind == "record":
            pid = records.get((t.owner.value[0], t.owner.value[1]))
            directory.learn(t.owner, [pid] if pid else [])
        elif t.owner.kind == "contact":
            directory.learn(t.owner, r["holders"])
    still: list[tuple[tp.Touchpoint, str]] = []
    by_label: dict[str, list[dict[str, Any]]] = {}
    for label, row in rows(held, directory, holding.gate, still, unattached=[]):
        by_label.setdefault(label, []).append(row)
        claimed.touched.add(row["person"])
    claimed.count = write(tx, holding.model, by_label)
    claimed.signs = set(ownership_signs(by_label))
    # Those still without a person stay held; written again only if the reason changed.
    was = {
        (t.source, t.source_id): r["reason"] for t, r in zip(held, found, strict=True)
    }
    changed = [(t, why) for t, why in still if was[(t.source, t.source_id)] != why]
    if changed:
        hold(tx, changed, holding.gate)
    return claimed


def ownership_signs(by_label: Mapping[str, list[dict[str, Any]]]) -> Iterator[str]:
    """The VINs of written rows (``rows``) that start an ownership: an order or a delivery
    (about a vehicle, not reaching its person through one), as ``tp.attach`` has it."""
    for label_rows in by_label.values():
        for row in label_rows:
            if (vin := row["links"].get("aboutVehicle")) and "viaVehicle" not in row[
                "props"
            ]:
                yield vin


def _as_read(
    model: Ontology, stored: Mapping[str, Any], owner: tp.Owner
) -> tp.Touchpoint | None:
    """A stored touchpoint (``AS_STORED``) as the row that made it was read; None if no
    class of the ontology has its labels any more."""
    labels = set(stored["labels"])
    label = next(
        (n for n in labels if n in model.nodes and set(model.node(n).labels) == labels),
        None,
    )
    if label is None:
        return None
    props = dict(stored["props"])
    source, source_id, at = props.pop("source"), props.pop("sourceId"), props.pop("at")
    rels = {r.type: r for r in model.outgoing(label)}
    links = {
        rel.name: str(load.as_text(target[model.node(rel.target).key[0]]))
        for kind, target in stored["links"]
        if (rel := rels.get(kind))
    }
    return tp.Touchpoint(
        label,
        source,
        source_id,
        str(load.as_text(at)),
        owner,
        {
            k: str(load.as_text(v))
            for k, v in props.items()
            if k not in _VIA and v is not None
        },
        links,
    )


_VIA = frozenset({"viaRecord", "viaContact", "viaVehicle"})


def write(
    target: neo4j.Driver | neo4j.ManagedTransaction,
    model: Ontology,
    by_label: dict[str, list[dict[str, Any]]],
    progress: load.Progress | None = None,
    database: str = "neo4j",
) -> int:
    """Write every class's rows; the number written."""
    done = 0
    for label in sorted(by_label):
        done += load.load_rows(
            target,
            cypher.write_query(model, label),
            by_label[label],
            what=f"touchpoints {label}",
            progress=progress,
            database=database,
        )
    return done


def directory_from_graph(
    tx: neo4j.ManagedTransaction, owners: Iterable[tp.Owner]
) -> tp.Directory:
    """A ``Directory`` of who ``owners`` name (an incremental change's touchpoints and
    referral mentions), read from the graph: they reach customers resolved before the
    change, not only its own records. It knows only what was asked."""
    records: set[tuple[str, ...]] = set()
    vins: set[str] = set()
    contacts: dict[str, set[str]] = {"email": set(), "phone": set(), "app": set()}
    for kind, value in owners:
        if kind == "record":
            records.add(value)
        elif kind == "vin":
            vins.add(value[0])
        elif kind == "contact":
            prefix, _, v = value[0].partition(":")
            contacts[prefix].add(v)
    found = tx.run(
        cypher.OWNERS,
        records=[list(k) for k in sorted(records)],
        emails=sorted(contacts["email"]),
        phones=sorted(contacts["phone"]),
        accounts=sorted(contacts["app"]),
        vins=sorted(vins),
    )
    directory = tp.Directory(())
    named: dict[tp.Owner, list[str]] = {}
    for r in found:
        kind, key, person = r["kind"], r["key"], r["person"]
        if kind == "vin":
            since, until = load.as_text(r["since"]), load.as_text(r["until"])
            directory.owns(key, since, until, person)
        elif kind == "sign":  # a batch run's orders and deliveries start an ownership
            directory.owns(key, _day(r["since"]), None, person)
        elif kind == "record":
            named.setdefault(tp.Owner("record", tuple(key)), []).append(person)
        else:
            named.setdefault(tp.Owner("contact", (f"{kind}:{key}",)), []).append(person)
    for owner, persons in named.items():
        directory.learn(owner, persons)
    return directory


@dataclass
class Followed:
    """Where a change sends touchpoints reached through a vehicle or a contact point: to
    the person a batch run would attach them to now, or, with none, out of the graph and
    into quarantine with the reason, as a batch run would quarantine their rows."""

    touched: set[str] = field(default_factory=set)  # persons that gained or lost one
    gained: set[str] = field(default_factory=set)  # persons that gained one
    quarantined: list[Quarantined] = field(default_factory=list)
    signs: set[str] = field(
        default_factory=set
    )  # VINs of orders and deliveries decided
    _moves: list[dict[str, str]] = field(default_factory=list)
    _drops: dict[tuple[str, str], tuple[tp.Owner, str]] = field(
        default_factory=dict
    )  # taken out: key -> (how its row named its person, why it has none)

    def decide(
        self,
        t: Mapping[str, Any],
        into: str | None,
        why: str,
        value: str,
        owner: tp.Owner,
    ) -> None:
        """``t`` (source, sourceId, labels, person; ``about``: the VIN of an order or delivery),
        which its row's ``owner`` reached, goes ``into`` that person, or with None is
        quarantined for ``why`` and held."""
        key = {"source": t["source"], "sourceId": t["sourceId"]}
        if into != t["person"] and t.get("about"):
            self.signs.add(t["about"])
        if into is None:
            self._drops[(t["source"], t["sourceId"])] = (owner, why)
            self.touched.add(t["person"])
            label = "/".join(sorted(set(t["labels"]) - {cypher.TOUCHPOINT}))
            self.quarantined.append(
                Quarantined(f"{t['source']}/{t['sourceId']}", f"{label}: {why}", value)
            )
        elif into != t["person"]:
            self._moves.append({**key, "into": into})
            self.touched |= {into, t["person"]}
            self.gained.add(into)

    def apply(self, tx: neo4j.ManagedTransaction, holding: Holding) -> None:
        if self._moves:
            tx.run(cypher.REATTACH, moves=self._moves).consume()
        if self._drops:  # taken out of the graph, but held as read
            drops = [{"source": s, "sourceId": i} for s, i in self._drops]
            held = []
            for stored in tx.run(cypher.AS_STORED, keys=drops):
                props = stored["props"]
                owner, why = self._drops[(props["source"], props["sourceId"])]
                if (t := _as_read(holding.model, stored, owner)) is not None:
                    held.append((t, why))
            hold(tx, held, holding.gate)
            tx.run(
                cypher.UNATTACH, drops=drops, reference=sorted(cypher.REFERENCE)
            ).consume()


def follow_vehicles(
    tx: neo4j.ManagedTransaction, vins: Iterable[str], holding: Holding
) -> Followed:
    """Touchpoints whose rows named one of ``vins`` (``viaVehicle``: a service visit) go to
    the vehicle's owner on their day, as the graph has it now; with none, they are held."""
    followed = Followed()
    wanted = sorted(set(vins))
    reached = tx.run(cypher.REACHED_BY_VEHICLE, vins=wanted).data() if wanted else []
    if not reached:
        return followed
    directory = directory_from_graph(tx, [tp.Owner("vin", (v,)) for v in wanted])
    for r in reached:
        via = tp.Owner("vin", (r["vin"],))
        owner, why = directory.find(via, _day(r["at"]))
        followed.decide(r, owner, why, r["vin"], via)
    followed.apply(tx, holding)
    return followed


def follow_contacts(
    tx: neo4j.ManagedTransaction, keys: Mapping[str, str], holding: Holding
) -> Followed:
    """Touchpoints whose rows named one of the contact points ``keys`` (``viaContact``:
    a message; key -> the contact point, ``linkage.blocks.contact_values``) go to the one
    person whose records hold it now; with none (or several), they are held."""
    followed = Followed()
    wanted = sorted(keys)
    if not wanted:
        return followed
    for r in tx.run(cypher.REACHED_BY_CONTACT, keys=wanted):
        holder, why = tp.sole_holder(r["holders"])
        via = tp.Owner("contact", (keys[r["key"]],))
        for t in r["reached"]:
            followed.decide(t, holder, why, f"contact key {r['key']}", via)
    followed.apply(tx, holding)
    return followed


def vehicles_around(tx: neo4j.ManagedTransaction, ids: Iterable[str]) -> list[str]:
    """The VINs whose owner a change to persons ``ids`` may have moved."""
    found = tx.run(cypher.VEHICLES_AROUND, ids=sorted(set(ids))).single()
    return list(found["vins"]) if found else []


def _day(at: Any) -> str:
    """A stored touchpoint time as the day ``tp.Directory.find`` takes."""
    return (load.as_text(at) or "")[:10]


LEADS = frozenset({"TestRide", "Quotation", "Order"})  # the buying signals of a journey


def first_leads(
    rows: Iterable[tuple[str, dict[str, Any]]], first_lead: dict[str, str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``rows`` passed on, noting in ``first_lead`` each person's first buying signal
    (ISO time), which ``referral_rows`` needs."""
    for label, row in rows:
        if label in LEADS:
            at = row["props"]["at"].isoformat()
            if at < first_lead.get(row["person"], "~"):
                first_lead[row["person"]] = at
        yield label, row


def referral_rows(
    mentions: Sequence[rf.Mention],
    directory: tp.Directory,
    first_lead: dict[str, str],
    gate: Gate,
    known: dict[str, rf.Referral] | None = None,
    held: list[tuple[rf.Mention, str]] | None = None,
) -> tuple[list[dict[str, Any]], list[rf.Referral]]:
    """``REFERRED`` rows: each hop before the referee's first lead (``first_leads``), one
    referrer per person (``known``: referrals already in the graph, ``rf.link``); and the
    graph's referrals an earlier mention takes the place of. Mentions that found no
    person go to the quarantine, and to ``held`` (with why), if given."""
    linked = rf.link(mentions, directory, first_lead, known)
    gate.quarantined += linked.quarantined
    if held is not None:
        held += linked.held
    return _referred(linked.referrals, gate), linked.displaced


def _referred(referrals: Iterable[rf.Referral], gate: Gate) -> list[dict[str, Any]]:
    """``referral_cypher.WRITE`` rows of ``referrals`` the shapes accept."""
    out = []
    for r in referrals:
        props = {"mechanism": r.mechanism, "at": r.at, "evidence": r.evidence}
        clean = gate.check(rf.REFERRAL_EDGE, r.evidence, props)
        if clean is not None:
            out.append({"referrer": r.referrer, "referee": r.referee, "props": clean})
    return out


def named(owner: tp.Owner) -> str:
    """How a held referral names a side (``referrerVia``, ``refereeVia``): the record,
    the contact point's key (not its value) or the VIN, spelled by ``spelled``."""
    if owner.kind == "contact":
        return spelled("contact", contact_block_key(owner.value[0]) or "")
    return spelled(owner.kind, "/".join(owner.value))


def spelled(kind: str, key: str) -> str:
    """A record (``source/sourceId``), contact point key or VIN as held referrals name
    it (and ``HELD_AROUND``'s $named asks for it): ``record:``, ``contact:``, ``vin:``."""
    return f"{kind}:{key}"


def hold_referrals(
    target: neo4j.Driver | neo4j.ManagedTransaction,
    held: Iterable[tuple[rf.Mention, str]],
    gate: Gate,
    database: str = "neo4j",
) -> int:
    """Keep referral mentions that found no person (with why) in the graph
    (``HeldReferral``); how many."""
    rows = _held(
        gate,
        referral_cypher.HELD,
        (
            (
                m.evidence,
                {
                    "evidence": m.evidence,
                    "mechanism": m.mechanism,
                    "at": m.at,
                    "heldReason": reason,
                    "heldRow": rf.to_json(m),
                    "referrerVia": named(m.referrer),
                    "refereeVia": named(m.referee),
                },
            )
            for m, reason in held
        ),
    )
    return load.load_rows(
        target, referral_cypher.HOLD, rows, what="held referrals", database=database
    )


def unhold_referrals(
    tx: neo4j.ManagedTransaction, mentions: Iterable[rf.Mention]
) -> None:
    """The held rows of ``mentions``' keys are held no more (they are decided now)."""
    keys = [{"evidence": m.evidence, "mechanism": m.mechanism} for m in mentions]
    if keys:
        tx.run(referral_cypher.UNHOLD, keys=keys).consume()


@dataclass
class ClaimedReferrals:
    """Held referral mentions a change decided (``claim_referrals``)."""

    count: int = 0  # written as REFERRED
    touched: set[str] = field(default_factory=set)  # referrers and referees written
    quarantined: list[Quarantined] = field(default_factory=list)  # refused now


def claim_referrals(
    tx: neo4j.ManagedTransaction, holding: Holding, mentions: Sequence[rf.Mention]
) -> ClaimedReferrals:
    """Held mentions (``Claimed.mentions``) linked as a batch run of all the sources links
    them, against the graph's referrals and first buying signals; those that still find
    no person stay held (with the reason now), those refused for another reason now (a
    later first lead, an earlier referrer) are quarantined and held no more."""
    done = ClaimedReferrals()
    mentions = list({(m.evidence, m.mechanism): m for m in mentions}.values())
    if not mentions:
        return done
    directory = directory_from_graph(
        tx, [o for m in mentions for o in (m.referrer, m.referee)]
    )
    first_lead: dict[str, str] = {}
    known = referrals_around(tx, mentions, directory, first_lead)
    linked = rf.link(mentions, directory, first_lead, known)
    still = {(m.evidence, m.mechanism) for m, _ in linked.held}
    # Still held: quarantined when first held. The rest are decided now.
    waiting = {evidence for evidence, _ in still}
    done.quarantined = [q for q in linked.quarantined if q.location not in waiting]
    rows = _referred(linked.referrals, holding.gate)
    unrefer = [{"referrer": r.referrer, "referee": r.referee} for r in linked.displaced]
    if unrefer:
        tx.run(referral_cypher.UNREFER, rows=unrefer).consume()
    if rows:
        tx.run(referral_cypher.WRITE, rows=rows).consume()
    unhold_referrals(
        tx, [m for m in mentions if (m.evidence, m.mechanism) not in still]
    )
    hold_referrals(tx, linked.held, holding.gate)
    done.count = len(rows)
    done.touched = {
        str(r[side]) for r in rows + unrefer for side in ("referrer", "referee")
    }
    return done


def referrals_around(
    tx: neo4j.ManagedTransaction,
    mentions: Sequence[rf.Mention],
    directory: tp.Directory,
    first_lead: dict[str, str],
) -> dict[str, rf.Referral]:
    """The referrals already in the graph above the persons ``mentions`` name (by
    referee), and their first buying signals, earlier ones of the graph's added to
    ``first_lead``."""
    ids = {
        pid
        for m in mentions
        for owner in (m.referrer, m.referee)
        if (pid := directory.find(owner, m.at[:10])[0])
    }
    if not ids:
        return {}
    rows = tx.run(referral_cypher.AROUND, ids=sorted(ids), leads=sorted(LEADS)).data()
    known: dict[str, rf.Referral] = {}
    for r in rows:
        for hop in r["above"]:
            known[hop["referee"]] = _referral(hop)
        if r["firstLead"] is not None:
            at = _iso(r["firstLead"])
            first_lead[r["id"]] = min(at, first_lead.get(r["id"], at))
    return known


def recheck_referrals(
    tx: neo4j.ManagedTransaction, ids: Iterable[str]
) -> tuple[list[Quarantined], set[str]]:
    """The graph's referrals into ``ids`` that a batch run would refuse now (a merge
    gave one of them a second referrer, a touchpoint an earlier buying signal:
    ``rf.recheck``) taken out; (their quarantine rows, the persons they joined)."""
    wanted = sorted(set(ids))
    if not wanted:
        return [], set()
    refused = rf.Linked()
    for r in tx.run(referral_cypher.INTO, ids=wanted, leads=sorted(LEADS)):
        lead = None if r["firstLead"] is None else _iso(r["firstLead"])
        found = rf.recheck([_referral(hop) for hop in r["hops"]], lead)
        refused.displaced += found.displaced
        refused.quarantined += found.quarantined
    gone = [{"referrer": h.referrer, "referee": h.referee} for h in refused.displaced]
    if gone:
        tx.run(referral_cypher.UNREFER, rows=gone).consume()
    return refused.quarantined, {p for g in gone for p in g.values()}


def _referral(hop: Mapping[str, Any]) -> rf.Referral:
    """A ``REFERRED`` hop as read (referrer, referee, mechanism, at, evidence)."""
    return rf.Referral(
        hop["referrer"],
        hop["referee"],
        hop["mechanism"],
        _iso(hop["at"]),
        hop["evidence"],
    )


def _iso(at: Any) -> str:
    """A stored time as the ISO text ``rf.link`` compares."""
    return str(at.to_native().isoformat())
