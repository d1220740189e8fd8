"""A first load into an empty database with ``neo4j-admin database import``.

The batch write (``graph.load``: ``UNWIND ... MERGE``, about 22k nodes and relationships a
second here) is the way to update a graph; on an empty one, Neo4j's offline importer
builds the store directly from CSV files, an order of magnitude faster. This module turns the
same rows the batch write takes into those files, placing each row exactly as the batch
write's Cypher does: a node merged on its key, a relationship to reference data only when
that node exists (``MATCH``), a node the row itself evidences created once (``MERGE``), and
a later row for the same key or pair replacing the earlier one. ``tests/graph/test_bulk.py``
loads one data set both ways and compares the graphs' content checksums.

Files: one per label (or relationship type) and property signature, because a CSV column has
one type and the batch write may store, say, an integer on one node and a float on another
under the same name. Strings are always quoted; array elements are joined with the unit
separator (U+001F), which no validated value contains.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import neo4j

from graph.cypher.touchpoints import HAD, REFERENCE, TOUCHPOINT
from ontology.errors import C360Error
from ontology.model import Ontology

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]
ARRAY = "\x1f"  # --array-delimiter: no value the gate lets through contains it


class BulkError(C360Error):
    """The rows cannot be imported as the batch write would have written them."""


# -- CSV files ------------------------------------------------------------------------------
def _type(value: Any) -> str:
    """The importer's header type of a Python value, as the driver would have stored it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "localdatetime" if value.tzinfo is None else "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, list | tuple):
        kinds = {_type(v) for v in value}
        if len(kinds) != 1 or next(iter(kinds)).endswith("[]"):
            raise BulkError(f"a list the importer cannot store: {value!r:.80}")
        return next(iter(kinds)) + "[]"
    raise BulkError(f"a value the importer cannot store: {value!r:.80}")


def _kind(value: Any) -> Any:
    """What decides a value's column type, cheaply: its class, or its header type where
    the class does not say (a date-time with or without a zone, a list's elements)."""
    cls = value.__class__
    if cls is dt.datetime or cls is list or cls is tuple:
        return _type(value)
    return cls


def _text(value: Any) -> str:
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[no-any-return]
    if cls is bool:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a float's str is its shortest exact repr
    if isinstance(value, dt.date):  # date-times too
        return value.isoformat()
    raise BulkError(f"a value the importer cannot store: {value!r:.80}")


def _cell(value: Any) -> Any:
    """A value as the CSV writer gets it: strings are quoted, numbers are not."""
    cls = value.__class__
    if cls is str or cls is int or cls is float:
        return value
    if cls is list or cls is tuple:
        items = [_text(v) for v in value]
        if any(ARRAY in i for i in items):
            raise BulkError(f"a list element holds U+001F: {value!r:.80}")
        return ARRAY.join(items)
    return _text(value)


@dataclass
class _File:
    handle: IO[str]
    writer: Any  # csv.writer
    path: Path
    multiline: bool = False


@dataclass
class Files:
    """CSV files for ``neo4j-admin database import full``, written as rows arrive.

    Strings (and so dates, booleans and joined lists) are quoted, numbers are not; an
    empty cell is no property. A file whose strings hold a line break is named to the
    importer as multi-line: only those are read the slower way."""

    folder: Path
    _files: dict[tuple[Any, ...], _File] = field(default_factory=dict)
    _groups: list[tuple[str, str, Path]] = field(
        default_factory=list
    )  # kind, name, file
    nodes: int = 0
    relationships: int = 0

    def node(
        self, labels: str, space: str, node_id: str, props: Mapping[str, Any]
    ) -> None:
        self.nodes += 1
        self._write("nodes", labels, (f":ID({space})",), (node_id,), props)

    def relationship(
        self,
        rel_type: str,
        start: tuple[str, str],
        end: tuple[str, str],
        props: Mapping[str, Any],
    ) -> None:
        self.relationships += 1
        self._write(
            "relationships",
            rel_type,
            (f":START_ID({start[0]})", f":END_ID({end[0]})"),
            (start[1], end[1]),
            props,
        )

    def _write(
        self,
        kind: str,
        name: str,
        ids: tuple[str, ...],
        id_values: tuple[str, ...],
        props: Mapping[str, Any],
    ) -> None:
        present = [(k, v) for k, v in props.items() if v is not None]
        key = (kind, name, ids, tuple([(k, _kind(v)) for k, v in present]))
        out = self._files.get(key)
        if out is None:
            path = self.folder / f"{kind}-{len(self._files):04d}.csv"
            handle = path.open("w", encoding="utf-8", newline="")
            writer = csv.writer(
                handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
            )
            handle.write(
                ",".join((*ids, *(f"{k}:{_type(v)}" for k, v in present))) + "\n"
            )
            out = self._files[key] = _File(handle, writer, path)
            self._groups.append((kind, name, path))
        cells = [*id_values, *[_cell(v) for _, v in present]]
        if not out.multiline and any(
            c.__class__ is str and ("\n" in c or "\r" in c) for c in cells
        ):
            out.multiline = True
        out.writer.writerow(cells)

    def close(self) -> list[str]:
        """Close every file; the importer's arguments that name them."""
        for f in self._files.values():
            f.handle.close()
        args = [f"--{kind}={name}={path}" for kind, name, path in self._groups]
        multiline = [str(f.path) for f in self._files.values() if f.multiline]
        if multiline:
            args += [
                "--multiline-fields-format=v2",
                f"--multiline-fields={','.join(multiline)}",
            ]
        return args


# -- the batch write's rows, placed as its Cypher places them -------------------------------
def _record_id(source: str, source_id: str) -> str:
    return f"{source}/{source_id}"


class Graph:
    """Maps the rows of ``graph.load`` (and the resolution and touchpoint writes) to files.

    Call in the batch write's order: reference data, records, persons, evidence,
    households, touchpoints, referrals. Each method mirrors one Cypher statement, named.
    """

    def __init__(self, files: Files, model: Ontology) -> None:
        self.files = files
        self.model = model
        self.known: dict[str, set[str]] = {}  # space -> node ids written

    def _node(
        self, labels: str, space: str, node_id: str, props: Mapping[str, Any]
    ) -> bool:
        """Write the node unless it exists (MERGE); True when it was new."""
        ids = self.known.setdefault(space, set())
        if node_id in ids:
            return False
        ids.add(node_id)
        self.files.node(labels, space, node_id, props)
        return True

    def _exists(self, space: str, node_id: Any) -> bool:
        return node_id is not None and str(node_id) in self.known.get(space, ())

    def reference(self, kind: str, rows: Iterable[Row]) -> None:
        """``graph.load.REFERENCE[kind]``: ``MERGE ... SET n += props``; links by MATCH."""
        label, key = {
            "countries": ("Country", "code"),
            "dealers": ("Dealer", "code"),
            "clubs": ("Club", "code"),
            "models": ("Model", "code"),
            "events": ("Event", "id"),
        }[kind]
        merged: dict[str, Row] = {}
        by_node: dict[str, dict[tuple[str, str, str], None]] = {}
        for r in rows:
            node_id = str(r["props"][key])
            merged.setdefault(node_id, {}).update(r["props"])
            mine = by_node.setdefault(node_id, {})
            if kind == "countries" and r.get("region") is not None:
                self._node("Region", "Region", str(r["region"]), {"code": r["region"]})
                mine[("IN_REGION", "Region", str(r["region"]))] = None
            elif kind == "dealers" and self._exists("Country", r.get("country")):
                mine[("IN_COUNTRY", "Country", str(r["country"]))] = None
            elif kind == "clubs" and self._exists("Dealer", r.get("dealer")):
                mine[("AFFILIATED_WITH", "Dealer", str(r["dealer"]))] = None
            elif kind == "events":
                if self._exists("Dealer", r.get("dealer")):
                    mine[("HOSTED_BY", "Dealer", str(r["dealer"]))] = None
                if self._exists("Club", r.get("club")):
                    mine[("ORGANISED_BY_CLUB", "Club", str(r["club"]))] = None
        for node_id, props in merged.items():
            self._node(label, label, node_id, props)
        for node_id, mine in by_node.items():
            for rel_type, target, target_id in mine:
                self.files.relationship(
                    rel_type, (label, node_id), (target, target_id), {}
                )

    def records(self, rows: Iterable[Row]) -> None:
        """``graph.load.RECORDS``: the record, its contact points, consents, blocking keys."""
        for r in rows:
            me = ("SourceRecord", _record_id(r["source"], r["sourceId"]))
            if not self._node("SourceRecord", *me, r["props"]):
                raise BulkError(f"source record {me[1]} appears twice")
            for kind, use in (("Email", "emailUse"), ("Phone", "phoneUse")):
                value = r[kind.lower()]
                if value is not None:
                    self._node(f"{kind}:ContactPoint", kind, value, {"value": value})
                    self.files.relationship(
                        "HAS_CONTACT_POINT", me, (kind, value), r[use]
                    )
            # MERGE on the key, then SET k = props: the record's last statement wins.
            consents = {c["props"]["consentKey"]: c for c in r["consents"]}
            for consent_key, c in consents.items():
                if not self._node("Consent", "Consent", consent_key, c["props"]):
                    raise BulkError(f"consent {consent_key} is stated by two records")
                self.files.relationship(
                    "STATED_CONSENT", me, ("Consent", consent_key), {}
                )
                for kind in ("Email", "Phone"):
                    if self._exists(kind, c[kind.lower()]):
                        self.files.relationship(
                            "HAS_CONSENT",
                            (kind, c[kind.lower()]),
                            ("Consent", consent_key),
                            {},
                        )
            for block in dict.fromkeys(r["blocks"]):
                self._node("BlockingKey", "BlockingKey", block, {"blockKey": block})
                self.files.relationship("IN_BLOCK", me, ("BlockingKey", block), {})

    def persons(self, rows: Iterable[Row]) -> None:
        """``graph.load.PERSONS``: the person, RESOLVED_TO, vehicles, clubs, dealer."""
        resolved: set[str] = set()
        for r in rows:
            me = ("Person", str(r["id"]))
            if not self._node("Person", *me, r["props"]):
                raise BulkError(f"person {me[1]} appears twice")
            for link in r["links"]:
                record = _record_id(link["source"], link["sourceId"])
                if not self._exists("SourceRecord", record):
                    continue
                if record in resolved:
                    raise BulkError(f"source record {record} resolves to two persons")
                resolved.add(record)
                self.files.relationship(
                    "RESOLVED_TO", ("SourceRecord", record), me, link["props"]
                )
            for v in r["vehicles"]:
                self._vehicle(v["vin"], v["model"])
                self.files.relationship("OWNS", me, ("Vehicle", v["vin"]), v["props"])
            for c in r["clubs"]:
                if self._exists("Club", c["club"]):
                    self.files.relationship(
                        "MEMBER_OF", me, ("Club", c["club"]), c["props"]
                    )
            if self._exists("Dealer", r["preferredDealer"]):
                self.files.relationship(
                    "PREFERS_DEALER", me, ("Dealer", r["preferredDealer"]), {}
                )

    def _vehicle(self, vin: str, model: str | None) -> None:
        self._node("Vehicle", "Vehicle", vin, {"vin": vin})
        if self._exists("Model", model):
            pair = f"{vin}\x1f{model}"
            if pair not in self.known.setdefault("OF_MODEL", set()):
                self.known["OF_MODEL"].add(pair)
                self.files.relationship(
                    "OF_MODEL", ("Vehicle", vin), ("Model", str(model)), {}
                )

    def evidence(self, rows: Iterable[Row]) -> None:
        """``graph.cypher.resolution.EVIDENCE``: MATCHED between two written records
        (a pair comes once: ``api.pipeline.Writes.evidence`` keeps its last row)."""
        seen: set[tuple[str, str]] = set()
        for r in rows:
            a, b = _record_id(*r["a"]), _record_id(*r["b"])
            if (a, b) in seen:
                raise BulkError(f"the pair {a} {b} has two evidence rows")
            seen.add((a, b))
            if self._exists("SourceRecord", a) and self._exists("SourceRecord", b):
                self.files.relationship(
                    "MATCHED", ("SourceRecord", a), ("SourceRecord", b), r["props"]
                )

    def households(self, rows: Iterable[Row]) -> None:
        """``graph.cypher.resolution.HOUSEHOLDS``: the household and its members."""
        members: dict[tuple[str, str], Row] = {}
        for r in rows:
            self._node("Household", "Household", str(r["id"]), {"id": r["id"]})
            for m in r["members"]:
                if self._exists("Person", m["id"]):
                    members[(str(m["id"]), str(r["id"]))] = m["props"]
        for (person, home), props in members.items():
            self.files.relationship(
                "IN_HOUSEHOLD", ("Person", person), ("Household", home), props
            )

    def touchpoints(self, rows: Iterable[tuple[str, Row]]) -> None:
        """``graph.cypher.touchpoints.write_query`` of each row's class: the touchpoint,
        its context (reference data matched, anything else merged) and ``HAD``. Touchpoint
        ids are unique by then (``api.touchpoint_load.rows`` quarantines a repeated one)."""
        key_names = self.model.node(TOUCHPOINT).key
        classes: dict[str, tuple[str, list[tuple[str, str, str, str, bool]]]] = {}
        for label, r in rows:
            shape = classes.get(label)
            if shape is None:
                shape = classes[label] = (
                    ":".join(self.model.node(label).labels),
                    [  # (link name, type, target class, its key, matched or merged)
                        (rel.name, rel.type, t.name, t.key[0], t.name in REFERENCE)
                        for rel in self.model.outgoing(label)
                        if rel.type != HAD
                        for t in [self.model.node(rel.target)]
                    ],
                )
            labels, context = shape
            me = ("Touchpoint", "/".join(str(r["props"][k]) for k in key_names))
            self.files.node(labels, *me, r["props"])
            for name, rel_type, target, target_key, matched in context:
                value = r["links"].get(name)
                if value is None:
                    continue
                if matched:
                    if not self._exists(target, value):
                        continue
                else:
                    self._node(target, target, str(value), {target_key: value})
                self.files.relationship(rel_type, me, (target, str(value)), {})
            if self._exists("Person", r["person"]):
                self.files.relationship(HAD, ("Person", str(r["person"])), me, {})

    def referrals(self, rows: Iterable[Row]) -> None:
        """``graph.cypher.referrals.WRITE``: REFERRED between two written persons."""
        pairs: dict[tuple[str, str], Row] = {}
        for r in rows:
            a, b = str(r["referrer"]), str(r["referee"])
            if self._exists("Person", a) and self._exists("Person", b):
                pairs[(a, b)] = r["props"]
        for (a, b), props in pairs.items():
            self.files.relationship("REFERRED", ("Person", a), ("Person", b), props)


def forget_bookmarks(driver: neo4j.Driver, database: str) -> None:
    """After the database was replaced, the driver's bookmarks name transactions of the old
    one, which the new one waits for in vain: keep only one of the new database's."""
    with driver.session(database=database) as session:
        session.run("RETURN 1").consume()
        fresh = session.last_bookmarks()
    manager = driver.execute_query_bookmark_manager
    manager.update_bookmarks(manager.get_bookmarks(), fresh.raw_values)


# -- the importer ---------------------------------------------------------------------------
_SECTION = re.compile(r"\((\d+/\d+)\) (.+?) \d{4}-\d\d-\d\d ")
_PERCENT = re.compile(r" (\d+)% ∆")


def run_import(
    java: str,
    jars: Path,
    home: Path,
    args: list[str],
    heap: str,
    database: str = "neo4j",
    progress: Progress | None = None,
) -> None:
    """``neo4j-admin database import full`` into ``home``'s (stopped) server, replacing
    ``database``. The importer's output goes to ``home/logs/import.log``; its four stages
    and their percentages are reported as progress."""
    log_path = home / "logs" / "import.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        java,
        f"-Xmx{heap}",
        "-Dfile.encoding=UTF-8",
        "-cp",
        str(jars / "*"),
        "org.neo4j.cli.AdminTool",
        "database",
        "import",
        "full",
        database,  # first: the file lists after --nodes= would take it for a file
        "--overwrite-destination=true",
        "--array-delimiter=U+001F",
        "--bad-tolerance=0",
        "--max-off-heap-memory=50%",
        f"--report-file={home / 'logs' / 'import.report'}",  # not the working folder
        *args,
    ]
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    stage = "neo4j-admin import"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        assert proc.stdout is not None  # noqa: S101 - asked for above
        for line in proc.stdout:
            log.write(line)
            if progress is None:
                continue
            if section := _SECTION.match(line):
                stage = f"neo4j-admin import ({section[1]}) {section[2]}"
                progress(stage, 0, 100)
            elif percent := _PERCENT.search(line):
                progress(stage, int(percent[1]), 100)
        code = proc.wait()
    if code != 0:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        cause = next(
            (ln.strip() for ln in lines if "Exception" in ln or "Error" in ln),
            " | ".join(ln.strip() for ln in lines[-3:]),
        )
        raise BulkError(
            f"neo4j-admin database import failed (exit {code}): {cause[:300]} "
            f"(full log: {log_path})"
        )
