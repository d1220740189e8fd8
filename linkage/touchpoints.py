"""Touchpoints: what happened between the brand and a person, declared in the sources file.

Any source may declare touchpoints; each declaration turns a row into at most one:

    [[source.touchpoint]]
    type = "Quotation"                  # a Touchpoint class of the ontology
    at = "QUOTE_DATE"                   # its time (the source's date_format, or ISO 8601)
    person = { record = "dealer_crm", id = ["DEALER_CODE", "ACCOUNT_ID"] }
    #   "self": the identity record of this very row; { vin = "VIN" }: the vehicle's owner at
    #   that time; { contact = "recipient" }: the one person with that email, phone or app
    #   account ("push:<account>")
    where = { form = ["test_ride"] }    # only rows with these values (optional)
    when = "DELIVERY_DATE"              # only rows where this column is filled (optional)
    suffix = "delivery"                 # "<source id>#<suffix>", when a row makes several
    [source.touchpoint.columns]         # column -> a property of the class, or one of its
    STATUS = "outcome"                  # relationships by name, given the target's key
    DEALER_CODE = "atDealer"
    [source.touchpoint.set]             # constant properties
    journeyStage = "consideration"

The property and relationship names are the ontology's, checked against it when the file is
read. A row of a source with declarations that none of them takes is quarantined with the
reason, so nothing is dropped silently; so is a touchpoint whose person cannot be found
(``attach``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from linkage.normalise.emails import normalise_email
from linkage.normalise.phones import normalise_phone
from linkage.records import Quarantined
from linkage.spool import Spool
from ontology.model import Ontology

TOUCHPOINT = "Touchpoint"
PUSH_PREFIX = "push:"  # a push message's recipient: the app account it went to


@dataclass(frozen=True)
class PersonLink:
    """How a row names a person (``person = ...`` in the sources file)."""

    kind: str  # self | record | vin | contact
    columns: tuple[str, ...] = ()  # record: its id columns; vin / contact: one column
    source: str | None = None  # record: the identity source it points into

    def owner(
        self, source: str, source_id: str, row: Mapping[str, Any]
    ) -> Owner | None:
        """The owner key this row gives, or None when the columns are blank or unusable."""
        if self.kind == "self":
            return Owner("record", (source, source_id))
        values = [_text(row.get(c)) for c in self.columns]
        if not all(values):
            return None
        if self.kind == "record":
            return Owner("record", (str(self.source), "/".join(map(str, values))))
        value = str(values[0])
        if self.kind == "vin":
            return Owner("vin", (value.upper(),))
        key = contact_key(value)
        return Owner("contact", (key,)) if key else None


@dataclass(frozen=True)
class TouchpointSpec:
    """One ``[[source.touchpoint]]`` declaration, checked against the ontology."""

    label: str
    at: str
    person: PersonLink
    where: tuple[tuple[str, frozenset[str]], ...] = ()
    when: str | None = None
    suffix: str | None = None
    columns: tuple[tuple[str, str], ...] = ()  # column -> property
    links: tuple[tuple[str, str], ...] = ()  # column -> relationship name
    constants: tuple[tuple[str, str], ...] = ()

    def used_columns(self) -> set[str]:
        return {
            self.at,
            *self.person.columns,
            *(c for c, _ in self.where),
            *([self.when] if self.when else []),
            *(c for c, _ in self.columns),
            *(c for c, _ in self.links),
        }


class Owner(NamedTuple):
    """How a touchpoint reaches its person, before resolution says who that is."""

    kind: str  # self | record | vin | contact
    value: tuple[str, ...]  # record key (source, source id), (vin,) or (contact key,)


class Touchpoint(NamedTuple):
    """One touchpoint as read. A named tuple: there are twice as many as source records, and
    it is the cheapest object to build again when the ingest spool reads them back."""

    label: str
    source: str
    source_id: str
    at: str  # ISO 8601 date-time
    owner: Owner
    props: dict[str, str]  # ontology property -> text
    links: dict[str, str]  # relationship name -> target key

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)


Plain = tuple[str, str, str, str, str, tuple[str, ...], dict[str, str], dict[str, str]]


def to_plain(t: Touchpoint) -> Plain:
    """Built-in types only, which ``marshal`` writes (and reads without running any code)."""
    return (t.label, t.source, t.source_id, t.at, *t.owner, t.props, t.links)


def from_plain(p: Plain) -> Touchpoint:
    return Touchpoint(p[0], p[1], p[2], p[3], Owner(p[4], p[5]), p[6], p[7])


def spool(named: bool = False) -> Spool[Touchpoint]:
    """Where ingest keeps touchpoints until the customers are resolved."""
    return Spool(to_plain, from_plain, named=named)


def parse_specs(
    raw: Any, where: str, model: Ontology, identity: bool, sources: set[str]
) -> tuple[tuple[TouchpointSpec, ...], list[str]]:
    """The declarations of one source, and every problem with them.

    ``sources`` are the identity sources of the file (a ``record`` link must name one).
    """
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), [
            f"{where}: touchpoint must be an array of tables ([[source.touchpoint]])"
        ]
    specs, problems = [], []
    for n, table in enumerate(raw, start=1):
        spec, errs = _spec(table, f"{where} touchpoint #{n}", model, identity, sources)
        problems += errs
        if spec:
            specs.append(spec)
    suffixes = [s.suffix for s in specs]
    if (
        len(specs) > 1
        and len(set(suffixes)) < len(suffixes)
        and not all(s.where for s in specs)
    ):
        problems.append(
            f"{where}: several touchpoints per row need distinct suffixes "
            "(or where clauses that pick one)"
        )
    return tuple(specs), problems


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _spec(
    t: Any, where: str, model: Ontology, identity: bool, sources: set[str]
) -> tuple[TouchpointSpec | None, list[str]]:
    if not isinstance(t, dict):
        return None, [f"{where}: must be a table"]
    problems: list[str] = []
    label = t.get("type")
    kinds = {n.name for n in model.subclasses(TOUCHPOINT) if not n.abstract}
    if label not in kinds:
        problems.append(
            f"{where}: type must be one of the ontology's touchpoint classes "
            f"({', '.join(sorted(kinds))}), got {label!r}"
        )
        return None, problems
    node = model.node(str(label))
    at = t.get("at")
    if not isinstance(at, str) or not at:
        problems.append(f"{where}: at (the time column) is required")
    person = person_link(t.get("person"), where, identity, sources, problems)
    rels = {r.name: r for r in model.outgoing(node.name)}
    columns, links, constants = [], [], []
    for column, prop in (t.get("columns") or {}).items():
        if prop in rels:
            target = model.node(rels[prop].target)
            if len(target.key) != 1:
                problems.append(
                    f"{where}: {prop} points to {target.name}, which has no one-property key"
                )
            links.append((str(column), str(prop)))
        elif node.field(str(prop)) is not None and prop not in {
            "at",
            "source",
            "sourceId",
        }:
            columns.append((str(column), str(prop)))
        else:
            problems.append(
                f"{where}: column {column!r} maps to {prop!r}, which is neither a property "
                f"nor a relationship of {node.name} in the ontology"
            )
    for prop, value in (t.get("set") or {}).items():
        if node.field(str(prop)) is None:
            problems.append(f"{where}: set {prop!r} is not a property of {node.name}")
        constants.append((str(prop), str(value)))
    picks = []
    for column, values in (t.get("where") or {}).items():
        allowed = _strings(values)
        if allowed is None:
            problems.append(
                f"{where}: where {column!r} needs a value or a list of values"
            )
        else:
            picks.append((str(column), frozenset(allowed)))
    when, suffix = t.get("when"), t.get("suffix")
    for name, value in (("when", when), ("suffix", suffix)):
        if value is not None and not (isinstance(value, str) and value):
            problems.append(f"{where}: {name} must be a non-empty string")
    if problems:
        return None, problems
    return TouchpointSpec(
        label=node.name,
        at=str(at),
        person=person,
        where=tuple(picks),
        when=when,
        suffix=suffix,
        columns=tuple(columns),
        links=tuple(links),
        constants=tuple(constants),
    ), []


def person_link(
    raw: Any, where: str, identity: bool, sources: set[str], problems: list[str]
) -> PersonLink:
    """A ``person = ...`` value of the sources file; problems go to ``problems``."""
    if raw == "self":
        if not identity:
            problems.append(f'{where}: person = "self" needs an identity source')
        return PersonLink("self")
    if isinstance(raw, dict) and len(raw) >= 1:
        if "record" in raw:
            source, ids = raw.get("record"), _strings(raw.get("id"))
            if source not in sources:
                problems.append(
                    f"{where}: person.record must name an identity source of this file "
                    f"({', '.join(sorted(sources))}), got {source!r}"
                )
            if ids is None:
                problems.append(f"{where}: person.id must list the record's id columns")
            return PersonLink("record", ids or (), str(source))
        for kind in ("vin", "contact"):
            if kind in raw:
                column = raw[kind]
                if not isinstance(column, str) or not column:
                    problems.append(f"{where}: person.{kind} must name a column")
                return PersonLink(kind, (str(column),))
    problems.append(
        f'{where}: person must be "self", {{ record = SOURCE, id = [COLUMNS] }}, '
        f"{{ vin = COLUMN }} or {{ contact = COLUMN }}, got {raw!r}"
    )
    return PersonLink("self")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def from_row(
    specs: Sequence[TouchpointSpec],
    source: str,
    source_id: str | None,
    row: Mapping[str, Any],
    at_of: Any,
    where: str,
    quarantine: list[Quarantined],
) -> list[Touchpoint]:
    """The touchpoints one row makes; quarantines the row if it makes none.

    ``at_of(text)`` parses a time in the source's format to ISO 8601 (or quarantines it and
    returns None).
    """
    if source_id is None or not specs:
        return []  # no id: the row itself is quarantined already
    out, matched = [], False
    for spec in specs:
        if any(_text(row.get(c)) not in allowed for c, allowed in spec.where):
            continue
        matched = True
        if spec.when and _text(row.get(spec.when)) is None:
            continue
        raw_at = _text(row.get(spec.at))
        if raw_at is None:
            quarantine.append(
                Quarantined(where, f"{spec.label} without a time", "", spec.at)
            )
            continue
        at = at_of(raw_at)
        if at is None:
            continue
        owner = spec.person.owner(source, source_id, row)
        if owner is None:
            quarantine.append(
                Quarantined(
                    where,
                    f"{spec.label} names no person ({spec.person.kind})",
                    "",
                    ",".join(spec.person.columns),
                )
            )
            continue
        props = {p: v for c, p in spec.columns if (v := _text(row.get(c))) is not None}
        props.update(spec.constants)
        links = {r: v for c, r in spec.links if (v := _text(row.get(c))) is not None}
        sid = f"{source_id}#{spec.suffix}" if spec.suffix else source_id
        out.append(Touchpoint(spec.label, source, sid, at, owner, props, links))
    if not matched:
        picks = "; ".join(f"{c} in {sorted(a)}" for s in specs for c, a in s.where)
        quarantine.append(
            Quarantined(
                where, f"no touchpoint declaration takes this row ({picks})", ""
            )
        )
    return out


def contact_key(value: str) -> str | None:
    """The key a contact value is looked up by: a normalised email, an app account
    (``push:<account>``) or an E.164 phone."""
    if value.startswith(PUSH_PREFIX):
        account = value[len(PUSH_PREFIX) :].strip()
        return f"app:{account}" if account else None
    if "@" in value:
        email = normalise_email(value)
        return f"email:{email}" if email else None
    phone = normalise_phone(value, None)
    return f"phone:{phone}" if phone else None


def events_of(
    key: tuple[str, str], touchpoints: Sequence[Touchpoint]
) -> tuple[str, ...]:
    """The events that ``touchpoints`` place the person of record ``key`` at, sorted."""
    return tuple(
        sorted(
            {
                t.links["atEvent"]
                for t in touchpoints
                if "atEvent" in t.links
                and t.owner.kind == "record"
                and t.owner.value == key
            }
        )
    )


@dataclass(frozen=True)
class PersonView:
    """What a ``Directory`` needs of a resolved person."""

    id: str
    records: tuple[tuple[str, str], ...]
    contacts: tuple[str, ...]  # contact keys, as ``contact_key`` makes them
    vehicles: tuple[tuple[str, str | None, str | None], ...]  # (vin, since, until)


class Directory:
    """Finds the person a row names: by record, by contact point, or by vehicle and day."""

    def __init__(self, people: Iterable[PersonView]) -> None:
        self.by_record: dict[tuple[str, str], str] = {}
        self.by_contact: dict[str, set[str]] = {}
        self.owned: dict[str, list[tuple[str, str | None, str]]] = {}  # vin -> spans
        for p in people:
            for k in p.records:
                self.by_record[k] = p.id
            for c in p.contacts:
                self.by_contact.setdefault(c, set()).add(p.id)
            for vin, since, until in p.vehicles:
                self.owned.setdefault(vin, []).append((since or "", until, p.id))
        self._sorted = False

    def learn(self, owner: Owner, persons: Iterable[str]) -> None:
        """``persons`` are who the record or contact point ``owner`` names now, as read
        elsewhere (the graph): the record's person, or the contact point's holders."""
        if owner.kind == "record":
            for pid in persons:
                self.by_record[(owner.value[0], owner.value[1])] = pid
        elif owner.kind == "contact":
            self.by_contact[owner.value[0]] = set(persons)
        else:
            raise ValueError(
                f"a directory learns records and contact points, not {owner.kind}"
            )

    def owns(self, vin: str, since: str | None, until: str | None, person: str) -> None:
        """``person`` owns ``vin`` from ``since`` (None: from the start) through
        ``until`` (None: still): an ownership read elsewhere, or started by an order
        or a delivery."""
        self.owned.setdefault(vin.upper(), []).append((since or "", until, person))
        self._sorted = False

    def find(self, owner: Owner, day: str) -> tuple[str | None, str]:
        """(person id, "") or (None, why not)."""
        kind, value = owner.kind, owner.value
        if kind == "record":
            pid = self.by_record.get((value[0], value[1]))
            return pid, "" if pid else f"no resolved record {value[0]}/{value[1]}"
        if kind == "contact":
            return sole_holder(self.by_contact.get(value[0], ()))
        if not self._sorted:
            for spans in self.owned.values():
                spans.sort(key=lambda s: (s[0], s[2]))
            self._sorted = True
        pid = owner_at(self.owned.get(value[0], []), day)
        return pid, "" if pid else "no known owner of this VIN"


def sole_holder(ids: Collection[str]) -> tuple[str | None, str]:
    """The person a contact point's touchpoint belongs to among those holding it: the one
    holder, or none (and why) when nobody or several people hold it."""
    if len(ids) == 1:
        return next(iter(ids)), ""
    if ids:
        return None, f"contact point shared by {len(ids)} persons"
    return None, "no person has this contact point"


def attach(
    touchpoints: Iterable[Touchpoint],
    directory: Directory,
    quarantined: list[Quarantined],
    held: list[tuple[Touchpoint, str]] | None = None,
) -> Iterator[tuple[Touchpoint, str]]:
    """Each touchpoint with the id of its person, as they come; one with no person goes to
    ``quarantined`` with why there is none (and to ``held``, with it, to be kept for a
    later change that gives it one).

    A VIN reaches its owner on the touchpoint's date (``owner_at``). Ownership comes from
    the records' vehicle claims and from the person's own touchpoints about that vehicle
    (an order or a delivery starts it), so VIN-keyed touchpoints wait until the others
    have passed.
    """
    by_vin = []
    for t in touchpoints:
        if t.owner.kind == "vin":
            by_vin.append(t)
            continue
        pid, reason = directory.find(t.owner, t.at[:10])
        if pid is None:
            _unattached(t, reason, quarantined, held)
            continue
        yield t, pid
        about = t.links.get("aboutVehicle")
        if about:
            directory.owns(about, t.at[:10], None, pid)
    for t in by_vin:
        pid, reason = directory.find(t.owner, t.at[:10])
        if pid is None:
            _unattached(t, reason, quarantined, held)
        else:
            yield t, pid


def owner_at(spans: Sequence[tuple[str, str | None, str]], day: str) -> str | None:
    """The owner on ``day`` among (since, until, person) spans sorted by since.

    The latest-started span that covers the day; before every span, the first owner (a
    vehicle declared in the app years after its purchase); None after the last one ended.
    """
    best = None
    for since, until, pid in spans:
        if since <= day and (until is None or until >= day):
            best = pid  # sorted by since: the latest start wins
    if best is None and spans and day < spans[0][0]:
        best = spans[0][2]
    return best


def views(customers: Iterable[Any]) -> list[PersonView]:
    """``PersonView``s of resolved customers (``linkage.resolve.Customer``)."""
    out = []
    for c in customers:
        contacts = [f"email:{e}" for e in c.emails] + [f"phone:{p}" for p in c.phones]
        contacts += sorted({f"app:{r.app_account}" for r in c.records if r.app_account})
        out.append(
            PersonView(
                c.id,
                tuple(r.key for r in c.records),
                tuple(contacts),
                tuple((v.vin, v.since, v.until) for v in c.vehicles),
            )
        )
    return out


def _unattached(
    t: Touchpoint,
    reason: str,
    quarantined: list[Quarantined],
    held: list[tuple[Touchpoint, str]] | None,
) -> None:
    quarantined.append(
        Quarantined(
            f"{t.source}/{t.source_id}", f"{t.label}: {reason}", " ".join(t.owner.value)
        )
    )
    if held is not None:
        held.append((t, reason))


def to_json(t: Touchpoint) -> str:
    """``t`` as the text a held touchpoint keeps (``from_json`` reads it back)."""
    return json.dumps(
        {
            "label": t.label,
            "source": t.source,
            "sourceId": t.source_id,
            "at": t.at,
            "owner": [t.owner.kind, *t.owner.value],
            "props": t.props,
            "links": t.links,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def from_json(text: str) -> Touchpoint:
    """The touchpoint ``to_json`` wrote."""
    d = json.loads(text)
    kind, *value = d["owner"]
    return Touchpoint(
        d["label"],
        d["source"],
        d["sourceId"],
        d["at"],
        Owner(kind, tuple(value)),
        dict(d["props"]),
        dict(d["links"]),
    )
