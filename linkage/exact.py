"""First-cut identity resolution: records sharing a normalised email or E.164 phone are one person.

This is the foundation's deliberately simple resolver (the identity-resolution issue replaces
it with rulesets, Splink scoring, households and stable IDs across updates). It already keeps
the evidence: every record says which rule put it in its cluster and with which record.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from linkage.normalise.names import display_name
from linkage.records import ClubClaim, SourceRecord, VehicleClaim

RULESET = "exact-v0"
NAMESPACE = uuid.UUID("6f1d3a52-2c1e-4f0e-9d55-0c360c360c36")
# Survivorship: who we trust for names first (domain brief §8); later sources only fill gaps.
SOURCE_PRIORITY = (
    "owner_app",
    "dealer_crm",
    "club_registration",
    "ticketing",
    "web_form",
    "survey",
    "service",
)


@dataclass(frozen=True)
class Link:
    """Why a record belongs to its person: the rule and the record it matched."""

    record: tuple[str, str]
    rule: str
    matched: tuple[str, str] | None
    value: str | None


@dataclass(frozen=True)
class Person:
    """A unified customer: golden values plus the records and facts behind them."""

    id: str
    given_name: str | None
    family_name: str | None
    display_name: str
    country: str | None
    preferred_dealer: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    records: tuple[SourceRecord, ...]
    links: tuple[Link, ...]
    vehicles: tuple[VehicleClaim, ...]
    clubs: tuple[ClubClaim, ...]


def resolve(records: Iterable[SourceRecord]) -> list[Person]:
    """Cluster records on shared email/phone keys; same input gives the same persons and IDs."""
    recs = sorted(records, key=lambda r: r.key)
    parent = list(range(len(recs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    links: dict[int, Link] = {}
    for rule, attr in (("same_email", "email_key"), ("same_phone", "phone_key")):
        first_with: dict[str, int] = {}
        for i, rec in enumerate(recs):
            value = getattr(rec, attr)
            if value is None:
                continue
            if value not in first_with:
                first_with[value] = i
                continue
            j = first_with[value]
            if find(i) != find(j):
                parent[find(i)] = find(j)
                links.setdefault(i, Link(rec.key, rule, recs[j].key, value))
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(recs)):
        clusters[find(i)].append(i)
    persons = []
    for members in clusters.values():
        cluster = [recs[i] for i in members]
        evidence = [
            links.get(i, Link(recs[i].key, "seed", None, None)) for i in members
        ]
        persons.append(_person(cluster, evidence))
    return sorted(persons, key=lambda p: p.id)


def person_id(record_keys: Iterable[tuple[str, str]]) -> str:
    """Deterministic UUID from the cluster's smallest record key (stable for unchanged input)."""
    source, source_id = min(record_keys)
    return str(uuid.uuid5(NAMESPACE, f"{source}\x1f{source_id}"))


def _rank(rec: SourceRecord) -> tuple[int, str]:
    prio = SOURCE_PRIORITY.index(rec.source) if rec.source in SOURCE_PRIORITY else 99
    # Higher priority first; within a source, the most recently updated first.
    return (prio, _neg(rec.updated_at or ""))


def _neg(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


def _person(cluster: list[SourceRecord], links: list[Link]) -> Person:
    ranked = sorted(cluster, key=_rank)
    named = next((r for r in ranked if r.first_name or r.last_name), None)
    given = named.first_name if named else None
    family = named.last_name if named else None
    country = next((r.country for r in ranked if r.country), None)
    dealers = Counter(r.preferred_dealer for r in cluster if r.preferred_dealer)
    dealer = None
    if dealers:
        top = max(dealers.values())
        dealer = next(
            r.preferred_dealer
            for r in ranked
            if dealers.get(r.preferred_dealer or "") == top
        )
    vehicles: dict[str, VehicleClaim] = {}
    for rec in ranked:
        for v in rec.vehicles:
            vehicles.setdefault(v.vin, v)
    clubs: dict[str, ClubClaim] = {}
    for rec in ranked:
        for c in rec.clubs:
            clubs.setdefault(c.club, c)
    return Person(
        id=person_id(r.key for r in cluster),
        given_name=_title(given),
        family_name=_title(family),
        display_name=display_name(_title(given), _title(family)),
        country=country,
        preferred_dealer=dealer,
        emails=tuple(sorted({r.email_key for r in cluster if r.email_key})),
        phones=tuple(sorted({r.phone_key for r in cluster if r.phone_key})),
        records=tuple(sorted(cluster, key=lambda r: r.key)),
        links=tuple(sorted(links, key=lambda link: link.record)),
        vehicles=tuple(vehicles[k] for k in sorted(vehicles)),
        clubs=tuple(clubs[k] for k in sorted(clubs)),
    )


def _title(name: str | None) -> str | None:
    """'BELLINI' -> 'Bellini'; mixed-case input is kept as the person wrote it."""
    if name and name.isupper() and len(name) > 1:
        return name.title()
    return name
