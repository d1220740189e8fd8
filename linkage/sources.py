"""Sources are configuration: a TOML file says which file each system exported and what it means.

    version = 1
    [reference]                       # dealers, clubs, models, countries, events (CSV files)
    dealers = "reference/dealers.csv"
    [[source]]
    name = "dealer_crm"               # the source system; with the id it keys every record
    file = "dealer_crm_accounts.csv"  # relative to the sources file
    format = "csv"                    # csv | jsonl
    delimiter = ";"                   # csv only
    id = ["DEALER_CODE", "ACCOUNT_ID"]  # joined with "/" into the record's source id
    date_format = "%d.%m.%Y"          # strptime format of its dates (default: ISO 8601)
    name_order = "given_first"        # how a fullName splits: given_first | by_country | upper_is_family_first
    default_country = "IT"            # for phones typed without a country code, when a row has no country
    kind = "identity"                 # identity (describes a person) | touchpoint (only touchpoints)
    [source.columns]
    FIRST_NAME = "givenName"          # column (or nested path like "garage[].vin") -> property;
                                      # a flat column mapped to "clubs[].club" makes one item per row
    [[source.touchpoint]]             # what a row records as happening: see linkage/touchpoints.py
    [[source.referral]]               # who a row says referred whom: see linkage/referrals.py
    [[source.consent]]                # what a row says its person consented to: see linkage/consents.py

Every problem in the file is reported at once. Rows become ``SourceRecord``s or quarantine
entries with a reason; columns that map to nothing are counted and reported, never dropped
silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from linkage import batch_gc, tomlfile
from linkage import consents as cs
from linkage import records as rec
from linkage import referrals as rf
from linkage import touchpoints as tp
from linkage.helper import Helper, processes
from linkage.normalise.names import FAMILY_NAME_FIRST_COUNTRIES, split_full_name
from linkage.records import Quarantined, SourceRecord, parse_record, text_or_none
from linkage.spool import HandOff, Spool
from ontology.errors import C360Error
from ontology.model import Ontology
from ontology.model import default as default_ontology

Progress = Callable[[str, int, int], None]

# Properties a column may map to. The ontology issue derives this list from the ontology.
SCALARS = {
    "givenName": "first_name",
    "familyName": "last_name",
    "fullName": None,
    "email": "email",
    "phone": "phone",
    "country": "country",
    "preferredDealer": "preferred_dealer",
    "updatedAt": "updated_at",
    "createdAt": None,
    "birthDate": None,
    "street": None,
    "postcode": None,
    "city": None,
    "language": None,
    "appAccount": "app_account",
}
LISTS = {
    "vehicles": {
        "vin": "vin",
        "model": "model",
        "certification": "certification",
        "since": "since",
        "until": "until",
    },
    "clubs": {
        "club": "club",
        "memberNo": "member_no",
        "since": "since",
        "status": "status",
        "role": "role",
        "renewalDue": "renewal_due",
    },
}
DATE_PROPERTIES = {
    "updatedAt",
    "createdAt",
    "birthDate",
    "since",
    "until",
    "renewalDue",
}
NAME_ORDERS = {"given_first", "by_country", "upper_is_family_first"}


class SourcesError(C360Error):
    """The sources file cannot be used; the message lists every problem."""

    exit_code = 2


@dataclass(frozen=True)
class SourceSpec:
    name: str
    file: Path
    format: str
    delimiter: str
    id: tuple[str, ...]
    columns: dict[str, str]
    date_format: str | None
    name_order: str
    default_country: str | None
    kind: str
    touchpoints: tuple[tp.TouchpointSpec, ...] = ()
    referrals: tuple[rf.ReferralSpec, ...] = ()
    consents: tuple[cs.ConsentSpec, ...] = ()


@dataclass(frozen=True)
class SourcesFile:
    path: Path
    sources: tuple[SourceSpec, ...]
    reference: dict[str, Path]


@dataclass
class Ingested:
    """What came in: records, quarantine, reference rows, and what was not mapped."""

    records: list[SourceRecord] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    unmapped: dict[str, set[str]] = field(default_factory=dict)
    touchpoint_rows: Counter[str] = field(default_factory=Counter)
    # spooled to disk: nothing reads them until the customers are resolved
    touchpoints: Spool[tp.Touchpoint] = field(default_factory=tp.spool)
    referrals: list[rf.Mention] = field(default_factory=list)
    reference: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @property
    def lines(self) -> int:
        return sum(self.rows.values())


def load_sources(path: Path, model: Ontology | None = None) -> SourcesFile:
    """Parse and check a sources file against the ontology (touchpoint classes and their
    properties); one ``SourcesError`` lists every problem."""
    data = tomlfile.read(path, SourcesError, "sources file")
    model = model or default_ontology()
    base = path.resolve().parent
    problems: list[str] = []
    if data.get("version") != 1:
        problems.append("version must be 1")
    specs = []
    names: set[str] = set()
    raws = data.get("source", [])
    identity = {
        str(r.get("name"))
        for r in raws
        if isinstance(r, dict) and r.get("kind", "identity") == "identity"
    }
    for n, raw in enumerate(raws, start=1):
        where = f"source #{n} ({raw.get('name', '?')})"
        spec, errs = _spec(raw, base, where, model, identity)
        problems += errs
        if spec:
            if spec.name in names:
                problems.append(f"{where}: name {spec.name!r} is used twice")
            names.add(spec.name)
            specs.append(spec)
    if not specs and not problems:
        problems.append("no [[source]] entries")
    reference = {}
    for kind, rel in data.get("reference", {}).items():
        ref = base / str(rel)
        if not ref.is_file():
            problems.append(f"reference {kind}: file {ref} not found")
        reference[kind] = ref
    if problems:
        raise SourcesError(f"{path}: " + "; ".join(problems))
    return SourcesFile(path, tuple(specs), reference)


def _spec(
    raw: dict[str, Any], base: Path, where: str, model: Ontology, identity: set[str]
) -> tuple[SourceSpec | None, list[str]]:
    problems = []
    name, file, fmt = raw.get("name"), raw.get("file"), raw.get("format")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}: name is required")
    if not isinstance(file, str) or not (base / file).is_file():
        problems.append(f"{where}: file {file!r} not found next to the sources file")
    if fmt not in {"csv", "jsonl"}:
        problems.append(f"{where}: format must be csv or jsonl, got {fmt!r}")
    ids = raw.get("id")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        problems.append(f"{where}: id must be a list of column names")
    kind = raw.get("kind", "identity")
    if kind not in {"identity", "touchpoint"}:
        problems.append(f"{where}: kind must be identity or touchpoint, got {kind!r}")
    order = raw.get("name_order", "given_first")
    if order not in NAME_ORDERS:
        problems.append(
            f"{where}: name_order must be one of {sorted(NAME_ORDERS)}, got {order!r}"
        )
    columns = raw.get("columns", {})
    for column, prop in columns.items():
        if not _known_property(str(prop)):
            problems.append(
                f"{where}: column {column!r} maps to unknown property {prop!r}"
            )
    if kind == "identity" and not columns:
        problems.append(f"{where}: an identity source needs [source.columns]")
    declared, errs = tp.parse_specs(
        raw.get("touchpoint"), where, model, kind == "identity", identity
    )
    problems += errs
    referrals, errs = rf.parse_specs(
        raw.get("referral"), where, model, kind == "identity", identity
    )
    problems += errs
    consents, errs = cs.parse_specs(
        raw.get("consent"), where, model, kind == "identity"
    )
    problems += errs
    if kind == "touchpoint" and not declared and not errs:
        problems.append(f"{where}: a touchpoint source needs [[source.touchpoint]]")
    if problems:
        return None, problems
    return SourceSpec(
        name=str(name),
        file=base / str(file),
        format=str(fmt),
        delimiter=str(raw.get("delimiter", ",")),
        id=tuple(str(i) for i in ids or ()),
        columns={str(k): str(v) for k, v in columns.items()},
        date_format=raw.get("date_format"),
        name_order=str(order),
        default_country=raw.get("default_country"),
        kind=str(kind),
        touchpoints=declared,
        referrals=referrals,
        consents=consents,
    ), []


def _known_property(prop: str) -> bool:
    if "[]." in prop:
        head, tail = prop.split("[].", 1)
        return tail in LISTS.get(head, {})
    return prop in SCALARS


# Below this many bytes of source files one process reads them all: a helper is a fresh
# interpreter that imports the normalisers first, about a second's work.
PARALLEL_FROM_BYTES = 8 * 2**20


def ingest(
    sources: SourcesFile, progress: Progress | None = None, workers: int | None = None
) -> Ingested:
    """Read every source of the file; each row is a record or a quarantine entry.

    ``workers`` processes share the sources, balanced by file size: this one and
    ``workers - 1`` helpers. By default, one per core for inputs of ``PARALLEL_FROM_BYTES``
    or more, else 1. The result is the same, in the same order, however many read it.
    """
    out = Ingested()
    for kind, path in sources.reference.items():
        with path.open(encoding="utf-8", newline="") as fh:
            out.reference[kind] = list(csv.DictReader(fh))
    specs = sources.sources
    shares = _shares(specs, _workers(specs, workers))
    parts: dict[int, Ingested] = {}
    helpers = [
        Helper(read_in_helper, [(i, specs[i]) for i in share]) for share in shares[1:]
    ]
    try:
        for i in shares[0]:
            parts[i] = _read_one(specs[i], progress)
    except BaseException:
        for helper in helpers:
            helper.discard(_discard)
        raise
    for helper in helpers:
        for i, shipped in helper.result():
            parts[i] = _received(specs[i].name, shipped)
            if progress:
                progress(specs[i].name, shipped.rows, shipped.rows)
    for i in range(len(specs)):
        _merge(out, parts[i])
    return out


def _workers(specs: tuple[SourceSpec, ...], asked: int | None) -> int:
    size = sum(_size(s) for s in specs)
    return min(processes(asked, size, PARALLEL_FROM_BYTES), max(len(specs), 1))


def _size(spec: SourceSpec) -> int:
    try:
        return spec.file.stat().st_size
    except OSError:  # reading it reports the problem
        return 0


def _shares(specs: tuple[SourceSpec, ...], workers: int) -> list[list[int]]:
    """Source positions per process, largest file first to the lightest share (LPT)."""
    shares: list[list[int]] = [[] for _ in range(workers)]
    load = [0] * workers
    for i in sorted(range(len(specs)), key=lambda i: -_size(specs[i])):
        w = load.index(min(load))
        shares[w].append(i)
        load[w] += _size(specs[i])
    return [sorted(s) for s in shares if s] or [[]]


def _read_one(spec: SourceSpec, progress: Progress | None) -> Ingested:
    part = Ingested()
    if progress:
        progress(spec.name, 0, 0)
    rows = _source(spec, part)
    if progress:
        progress(spec.name, rows, rows)
    return part


class _Shipped(NamedTuple):
    """One source as a helper read it: the bulky parts wait in spool files."""

    records: HandOff
    touchpoints: HandOff
    quarantined: list[Quarantined]
    rows: int
    touchpoint_rows: int
    unmapped: set[str] | None
    referrals: list[rf.Mention]


def read_in_helper(specs: list[tuple[int, SourceSpec]]) -> list[tuple[int, _Shipped]]:
    """In the helper process: read ``specs`` and hand each one's records over on disk."""
    shipped: list[tuple[int, _Shipped]] = []
    part = Ingested()
    records: Spool[SourceRecord] = Spool(rec.to_plain, rec.from_plain)
    try:
        with batch_gc.paused():
            for i, spec in specs:
                part = Ingested(touchpoints=tp.spool(named=True))
                rows = _source(spec, part)
                records = Spool(rec.to_plain, rec.from_plain, named=True)
                records.extend(part.records)
                shipped.append(
                    (
                        i,
                        _Shipped(
                            records.hand_off(),
                            part.touchpoints.hand_off(),
                            part.quarantined,
                            rows,
                            part.touchpoint_rows[spec.name],
                            part.unmapped.get(spec.name),
                            part.referrals,
                        ),
                    )
                )
    except BaseException:  # the files of what was read, and of what was being read, go
        _discard(shipped)
        part.touchpoints.discard()
        records.discard()
        raise
    return shipped


def _received(name: str, shipped: _Shipped) -> Ingested:
    """A helper's source as if read here."""
    records: Spool[SourceRecord] = Spool(rec.to_plain, rec.from_plain)
    records.receive(shipped.records)
    part = Ingested(records=list(records), quarantined=shipped.quarantined)
    part.touchpoints.receive(shipped.touchpoints)
    part.referrals = shipped.referrals
    if shipped.rows:
        part.rows[name] = shipped.rows
    if shipped.touchpoint_rows:
        part.touchpoint_rows[name] = shipped.touchpoint_rows
    if shipped.unmapped is not None:
        part.unmapped[name] = shipped.unmapped
    return part


def _discard(shipped: list[tuple[int, _Shipped]]) -> None:
    for _, s in shipped:
        for path in (s.records.path, s.touchpoints.path):
            Path(path).unlink(missing_ok=True)


def _merge(out: Ingested, part: Ingested) -> None:
    out.records += part.records
    out.quarantined += part.quarantined
    out.rows.update(part.rows)
    out.touchpoint_rows.update(part.touchpoint_rows)
    out.unmapped.update(part.unmapped)
    out.touchpoints.adopt(part.touchpoints)
    out.referrals += part.referrals


def _source(spec: SourceSpec, out: Ingested) -> int:
    """Read one source into ``out``; the number of rows it has."""
    rows = 0
    seen_columns: set[str] = set()
    touchpoint, file_name = spec.kind == "touchpoint", spec.file.name
    # Made at the first row: a mapping the plan cannot follow fails where it always did.
    plan: tuple[_Step, ...] = ()
    for lineno, row in _rows(spec, out.quarantined):
        rows += 1  # a line that is no row at all counts too: it is in the quarantine
        if row is None:
            continue
        seen_columns.update(row)
        where = f"{file_name}:{lineno}"
        record = None
        at_of = functools.partial(_at, spec, where, out.quarantined)
        if not touchpoint:
            plan = plan or _plan(spec)
            record = _record(spec, plan, row, where, out.quarantined, at_of)
            if record is not None:
                out.records.append(record)
        if spec.referrals or spec.touchpoints:
            sid = _source_id(spec, row)
            out.referrals += rf.from_row(
                spec.referrals, spec.name, sid, row, at_of, where
            )
            made = tp.from_row(
                spec.touchpoints, spec.name, sid, row, at_of, where, out.quarantined
            )
            out.touchpoints.extend(made)
            if record is not None and (events := tp.events_of(record.key, made)):
                out.records[-1] = replace(record, events=events)
    if rows:
        out.rows[spec.name] += rows
        if touchpoint:
            out.touchpoint_rows[spec.name] += rows
    mapped = {c.split("[].", 1)[0] for c in spec.columns} | set(spec.id)
    mapped |= {c for t in spec.touchpoints for c in t.used_columns()}
    mapped |= {c for r in spec.referrals for c in r.used_columns()}
    mapped |= {c for s in spec.consents for c in s.used_columns()}
    if seen_columns - mapped:
        out.unmapped[spec.name] = seen_columns - mapped
    return rows


def _source_id(spec: SourceSpec, row: dict[str, Any]) -> str | None:
    ids = [text_or_none(row.get(c)) for c in spec.id]
    return "/".join(i for i in ids if i) if all(ids) else None


def _at(
    spec: SourceSpec, where: str, quarantine: list[Quarantined], text: str
) -> str | None:
    """A touchpoint's time as an ISO 8601 date-time (midnight for a date)."""
    value = _date(spec, "at", text, where, quarantine)
    if value is not None and "T" not in value:
        value += "T00:00:00"
    return value


def _rows(
    spec: SourceSpec, quarantine: list[Quarantined]
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """Each line's row, or None for a line quarantined as no row (not JSON, not an object)."""
    with spec.file.open(encoding="utf-8", errors="replace", newline="") as fh:
        if spec.format == "csv":
            reader = csv.DictReader(fh, delimiter=spec.delimiter)
            for lineno, row in enumerate(reader, start=2):
                if None in row:  # more cells than the header has
                    quarantine.append(
                        Quarantined(
                            f"{spec.file.name}:{lineno}",
                            "more cells than header columns",
                            str(row.pop(None))[:200],
                            "(extra cells)",
                        )
                    )
                yield lineno, row
            return
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                quarantine.append(
                    Quarantined(
                        f"{spec.file.name}:{lineno}", f"not JSON: {exc.msg}", line[:200]
                    )
                )
                yield lineno, None
                continue
            if not isinstance(value, dict):
                quarantine.append(
                    Quarantined(
                        f"{spec.file.name}:{lineno}", "not a JSON object", line[:200]
                    )
                )
                yield lineno, None
                continue
            yield lineno, value


class _Step(NamedTuple):
    """One mapped column, resolved once per source instead of once per row."""

    column: str  # the row's key: a flat column, or the list of a nested path
    leaf: str | None  # the item's key of a nested path ("garage[].vin" -> "vin")
    prop: str  # the property its values are parsed (and quarantined) as
    target: str | None  # the list property it fills ("vehicles"), if any
    key: str | None  # the canonical key it sets; None: an extra attribute
    date: bool  # parsed as a date


def _plan(spec: SourceSpec) -> tuple[_Step, ...]:
    """The source's columns as steps, in the file's order (quarantine follows it)."""
    steps = []
    for column, prop in spec.columns.items():
        key: str | None
        if "[]." in column:
            head, leaf = column.split("[].", 1)
            target, field_ = prop.split("[].", 1)
            key = LISTS[target][field_]
            steps.append(
                _Step(head, leaf, field_, target, key, field_ in DATE_PROPERTIES)
            )
        elif "[]." in prop:  # one membership per row, e.g. a club registration
            target, field_ = prop.split("[].", 1)
            key = LISTS[target][field_]
            steps.append(
                _Step(column, None, prop, target, key, prop in DATE_PROPERTIES)
            )
        else:
            key = "full_name" if prop == "fullName" else SCALARS[prop]
            steps.append(_Step(column, None, prop, None, key, prop in DATE_PROPERTIES))
    return tuple(steps)


def _record(
    spec: SourceSpec,
    plan: tuple[_Step, ...],
    row: dict[str, Any],
    where: str,
    quarantine: list[Quarantined],
    at_of: Callable[[str], str | None],
) -> SourceRecord | None:
    canonical: dict[str, Any] = {
        "source": spec.name,
        "source_id": _source_id(spec, row),
    }
    extra: dict[str, str] = {}
    lists: dict[str, list[dict[str, Any]]] = {}
    for step in plan:
        column, leaf, prop, target, key, date = step
        if leaf is not None:
            _items(spec, step, row.get(column), lists, where, quarantine)
            continue
        value = text_or_none(row.get(column))
        if date and value is not None:
            value = _date(spec, prop, value, where, quarantine)
        if target is not None:
            lists.setdefault(target, [{}])[0][str(key)] = value
        elif key is not None:
            canonical[key] = value
        elif value:
            extra[prop] = value
    country = text_or_none(canonical.get("country")) or spec.default_country
    canonical["country"] = country
    if canonical.get("full_name") and not (
        canonical.get("first_name") or canonical.get("last_name")
    ):
        canonical["first_name"], canonical["last_name"] = full_name_parts(
            str(canonical.pop("full_name")), spec.name_order, country
        )
    canonical.pop("full_name", None)
    for target, items in lists.items():
        canonical[target] = items
    consents = (
        cs.from_row(spec.consents, row, at_of, where, quarantine)
        if spec.consents
        else ()
    )
    return parse_record(
        canonical, where, quarantine, tuple(sorted(extra.items())), consents
    )


def _items(
    spec: SourceSpec,
    step: _Step,
    items: Any,
    lists: dict[str, list[dict[str, Any]]],
    where: str,
    quarantine: list[Quarantined],
) -> None:
    """One nested path ("garage[].vin") of a row's list into the claims of ``step.target``.

    The first path of a list sets how many claims there are.
    """
    items = items or []
    if not isinstance(items, list):
        quarantine.append(
            Quarantined(where, "expected a list", str(items)[:200], step.column)
        )
        return
    bucket = lists.setdefault(str(step.target), [{} for _ in items])
    for i, item in enumerate(items):
        if i < len(bucket) and isinstance(item, dict):
            value = text_or_none(item.get(step.leaf))
            if step.date and value is not None:
                value = _date(spec, step.prop, value, where, quarantine)
            bucket[i][str(step.key)] = value


def _date(
    spec: SourceSpec, prop: str, text: str, where: str, quarantine: list[Quarantined]
) -> str | None:
    """ISO 8601 text of a date in the source's format, or None after quarantining it."""
    value = (
        _strptime_date(text, spec.date_format) if spec.date_format else _iso_date(text)
    )
    if value is None:
        quarantine.append(
            Quarantined(
                where, f"not a date ({spec.date_format or 'ISO 8601'})", text, prop
            )
        )
    return value


@functools.lru_cache(maxsize=1 << 16)
def _strptime_date(text: str, date_format: str) -> str | None:
    """Cached: strptime is slow, and a source's dates repeat (the same days recur)."""
    try:
        return dt.datetime.strptime(text, date_format).date().isoformat()
    except ValueError:
        return None


def _iso_date(text: str) -> str | None:
    try:
        return (
            dt.datetime.fromisoformat(text)
            if "T" in text
            else dt.date.fromisoformat(text)
        ).isoformat()
    except ValueError:
        return None


def full_name_parts(
    full: str, order: str, country: str | None
) -> tuple[str | None, str | None]:
    """(given, family) of a full name, family first where the source says so."""
    family_first = (
        order == "by_country" and (country or "") in FAMILY_NAME_FIRST_COUNTRIES
    ) or (order == "upper_is_family_first" and full.isupper())
    return split_full_name(full, family_first)
