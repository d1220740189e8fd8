"""Writing touchpoints: one query per touchpoint class, derived from the ontology.

A touchpoint is merged on its key (``Touchpoint {source, sourceId}``), carries the labels
of its class and superclasses, points to its context (dealer, vehicle, model, event, club,
campaign: the class's outgoing relationships) and hangs off its person with ``HAD``.
Context that is reference data (dealers, models, events, clubs, countries) is matched, never
created, so a typo in a code cannot invent a dealer; a vehicle or a campaign the touchpoint
itself evidences is merged. Re-running replaces the touchpoint's properties, context and
person, so a record that moved to another person takes its journey along. A row of the
same key held before (``HeldTouchpoint``: it had no person then) is held no more.

Labels, types and keys come from the ontology (checked identifiers, never user input);
every value is a parameter.
"""

from __future__ import annotations

import re
from typing import LiteralString, cast

from ontology.model import Ontology

TOUCHPOINT = "Touchpoint"
HAD = "HAD"
# Classes loaded from the sources file's [reference] section: matched, never created.
REFERENCE = frozenset({"Dealer", "Model", "Event", "Club", "Country", "Region"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _ident(name: str) -> str:
    if not _IDENT.fullmatch(name):
        raise ValueError(f"not a Cypher identifier: {name!r}")
    return name


def write_query(model: Ontology, label: str) -> LiteralString:
    """``UNWIND $rows`` of ``{source, sourceId, props, links, person}`` for one class."""
    node = model.node(label)
    labels = ":".join(_ident(n) for n in node.labels)
    key = model.node(TOUCHPOINT).key
    match = ", ".join(f"{_ident(k)}: r.props.{_ident(k)}" for k in key)
    rels = [r for r in model.outgoing(label) if r.type != HAD]
    old = ", ".join(f"'{_ident(r.type)}'" for r in rels)
    parts = [
        "UNWIND $rows AS r",
        f"MERGE (t:{_ident(TOUCHPOINT)} {{{match}}})",
        "SET t = r.props",
        f"SET t:{labels}",
        "WITH t, r",
        "CALL (t) {",
        "  OPTIONAL MATCH (t)-[old]->()",
        f"  WHERE type(old) IN [{old}]" if old else "  WHERE false",
        "  DELETE old",
        "}",
    ]
    for r in rels:
        target = model.node(r.target)
        (target_key,) = target.key
        verb = "MATCH" if target.name in REFERENCE else "MERGE"
        parts += [
            "CALL (t, r) {",
            f"  WITH t, r WHERE r.links.{_ident(r.name)} IS NOT NULL",
            f"  {verb} (x:{_ident(target.name)} "
            f"{{{_ident(target_key)}: r.links.{_ident(r.name)}}})",
            f"  MERGE (t)-[:{_ident(r.type)}]->(x)",
            "}",
        ]
    parts += [
        "CALL (t, r) {",
        f"  OPTIONAL MATCH (t)<-[stale:{HAD}]-(other:Person) WHERE other.id <> r.person",
        "  DELETE stale",
        "}",
        "CALL (t, r) {",
        "  MATCH (p:Person {id: r.person})",
        f"  MERGE (p)-[:{HAD}]->(t)",
        "}",
    ]
    if HELD in model.nodes:  # a row held before (``HOLD``) is held no more
        held = ", ".join(f"{_ident(k)}: t.{_ident(k)}" for k in model.node(HELD).key)
        parts += [
            "CALL (t) {",
            f"  OPTIONAL MATCH (h:{_ident(HELD)} {{{held}}})",
            "  DELETE h",
            "}",
        ]
    return cast(LiteralString, "\n".join(parts))  # type: ignore[redundant-cast]  # mypy treats LiteralString as str


# A touchpoint whose person is gone (pruned or erased) is gone too.
PRUNE: LiteralString = """
MATCH (t:Touchpoint) WHERE NOT (t)<-[:HAD]-()
CALL (t) { DETACH DELETE t } IN TRANSACTIONS OF 10000 ROWS
"""

# Who the rows of an incremental change name, one row per (what was asked, person): the
# person of each record, the holders of each email, phone or app account, and each
# vehicle's owners with the span of their ownership (``vin``), and the persons whose
# touchpoints about the vehicle reached them by record or contact point (``sign``: an
# order or a delivery; from its day on, its person owns the vehicle, as
# ``linkage.touchpoints.attach`` has it in a batch run). Only what was asked comes back,
# every lookup by index.
OWNERS: LiteralString = """
CALL () {
  UNWIND $records AS k
  MATCH (:SourceRecord {source: k[0], sourceId: k[1]})-[:RESOLVED_TO]->(p:Person)
  RETURN 'record' AS kind, k AS key, p.id AS person, null AS since, null AS until
  UNION
  UNWIND $emails AS e
  MATCH (:Email {value: e})<-[:HAS_CONTACT_POINT]-(:SourceRecord)-[:RESOLVED_TO]->(p:Person)
  RETURN 'email' AS kind, e AS key, p.id AS person, null AS since, null AS until
  UNION
  UNWIND $phones AS f
  MATCH (:Phone {value: f})<-[:HAS_CONTACT_POINT]-(:SourceRecord)-[:RESOLVED_TO]->(p:Person)
  RETURN 'phone' AS kind, f AS key, p.id AS person, null AS since, null AS until
  UNION
  UNWIND $accounts AS a
  MATCH (:SourceRecord {appAccount: a})-[:RESOLVED_TO]->(p:Person)
  RETURN 'app' AS kind, a AS key, p.id AS person, null AS since, null AS until
  UNION
  UNWIND $vins AS v
  MATCH (:Vehicle {vin: v})<-[o:OWNS]-(p:Person)
  RETURN 'vin' AS kind, v AS key, p.id AS person, o.ownedFrom AS since,
         o.ownedThrough AS until
  UNION
  UNWIND $vins AS v
  MATCH (:Vehicle {vin: v})<-[:ABOUT_VEHICLE]-(t:Touchpoint)<-[:HAD]-(p:Person)
  WHERE t.viaRecord IS NOT NULL OR t.viaContact IS NOT NULL
  RETURN 'sign' AS kind, v AS key, p.id AS person, t.at AS since, null AS until
}
RETURN kind, key, person, since, until
"""

# The vehicles whose ownership these persons' changes may have moved: those they own, and
# those their touchpoints are about or reached them through.
VEHICLES_AROUND: LiteralString = """
UNWIND $ids AS id
MATCH (p:Person {id: id})
UNWIND [(p)-[:OWNS]->(v:Vehicle) | v.vin]
     + [(p)-[:HAD]->(:Touchpoint)-[:ABOUT_VEHICLE]->(v:Vehicle) | v.vin]
     + [(p)-[:HAD]->(t:Touchpoint) WHERE t.viaVehicle IS NOT NULL | t.viaVehicle] AS vin
RETURN collect(DISTINCT vin) AS vins
"""

# The touchpoints whose rows named one of these vehicles (``viaVehicle``), with their person.
REACHED_BY_VEHICLE: LiteralString = """
UNWIND $vins AS vin
MATCH (t:Touchpoint {viaVehicle: vin})<-[:HAD]-(p:Person)
RETURN vin, t.source AS source, t.sourceId AS sourceId, labels(t) AS labels, t.at AS at,
       p.id AS person
"""

# Who holds the contact point of the blocking key ``key`` now: the persons of the records
# stored under it (``REACHED_BY_CONTACT``, ``HELD_AROUND``).
_HOLDERS: LiteralString = """COLLECT {
  MATCH (:BlockingKey {blockKey: key})<-[:IN_BLOCK]-(:SourceRecord)-[:RESOLVED_TO]->(q:Person)
  RETURN DISTINCT q.id
}"""

# The touchpoints whose rows named one of these contact points (``viaContact``, the key the
# records holding it are stored under), with their person and the vehicle it is about (an
# order reached so starts an ownership), and who holds each key now.
REACHED_BY_CONTACT: LiteralString = (
    """
UNWIND $keys AS key
MATCH (t:Touchpoint {viaContact: key})<-[:HAD]-(p:Person)
WITH key, collect({source: t.source, sourceId: t.sourceId, labels: labels(t), person: p.id,
                   about: COLLECT { MATCH (t)-[:ABOUT_VEHICLE]->(v:Vehicle) RETURN v.vin }[0]})
     AS reached
RETURN key, reached, """
    + _HOLDERS
    + """ AS holders
"""
)

# Touchpoints that no person can have any more (a batch run would quarantine their rows),
# with the context only they made: a vehicle or campaign that nothing but reference data
# links to any more.
UNATTACH: LiteralString = """
UNWIND $drops AS d
MATCH (t:Touchpoint {source: d.source, sourceId: d.sourceId})
WITH t, [(t)-->(c) WHERE none(l IN labels(c) WHERE l IN $reference) | c] AS context
DETACH DELETE t
WITH context
UNWIND context AS c
WITH DISTINCT c
WHERE NOT EXISTS { (c)--(o) WHERE none(l IN labels(o) WHERE l IN $reference) }
DETACH DELETE c
"""

# Touchpoints handed to another person.
REATTACH: LiteralString = """
UNWIND $moves AS m
MATCH (t:Touchpoint {source: m.source, sourceId: m.sourceId})<-[h:HAD]-(:Person)
MATCH (into:Person {id: m.into})
DELETE h
MERGE (into)-[:HAD]->(t)
"""

# Held touchpoints (``HeldTouchpoint``): rows that found no person, kept as read until a
# change gives them one (``api.touchpoint_load.claim_held``).
HELD = "HeldTouchpoint"

HOLD: LiteralString = """
UNWIND $rows AS r
MERGE (h:HeldTouchpoint {source: r.props.source, sourceId: r.props.sourceId})
SET h = r.props
"""

# The held touchpoints and referral mentions that name one of these records
# (source/sourceId), contact point keys or VINs ($named: the same, spelled as a held
# referral's referrerVia and refereeVia): a change to them may have given the rows a
# person; with who holds the contact point a held touchpoint names now.
HELD_AROUND: LiteralString = (
    """
CALL () {
  UNWIND $records AS k
  MATCH (h:HeldTouchpoint {viaRecord: k})
  RETURN h
  UNION
  UNWIND $contacts AS k
  MATCH (h:HeldTouchpoint {viaContact: k})
  RETURN h
  UNION
  UNWIND $vins AS v
  MATCH (h:HeldTouchpoint {viaVehicle: v})
  RETURN h
  UNION
  UNWIND $named AS v
  MATCH (h:HeldReferral {referrerVia: v})
  RETURN h
  UNION
  UNWIND $named AS v
  MATCH (h:HeldReferral {refereeVia: v})
  RETURN h
}
WITH h, h.viaContact AS key
RETURN h.heldRow AS row, h.heldReason AS reason, h:HeldReferral AS referral,
       CASE WHEN key IS NULL THEN [] ELSE """
    + _HOLDERS
    + """ END AS holders
"""
)

# Touchpoints as stored, to be held as read: their labels, properties and the keys of
# what they link to, by relationship type.
AS_STORED: LiteralString = """
UNWIND $keys AS k
MATCH (t:Touchpoint {source: k.source, sourceId: k.sourceId})
RETURN labels(t) AS labels, properties(t) AS props,
       [(t)-[r]->(c) | [type(r), properties(c)]] AS links
"""
