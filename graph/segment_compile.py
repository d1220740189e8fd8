"""Segment definitions (a TOML file) checked against the ontology and compiled to Cypher.

A segment is a list of named conditions on a person ``p``; all must hold (or any, with
``require = "any"``). A condition is either a test of ``p``'s own properties, or a pattern
from ``p`` (``match``, Cypher path syntax) with tests on its variables (``where``), an optional
aggregate over the matches (``having``: ``count >= 2``, ``count = 0``, ``sum(o.amount) >=
100000``, ``max(...)``), ``latest`` (only the newest match counts) and ``without`` (patterns
that must not exist, e.g. a later owner of the same vehicle). Example::

    [[segment.condition]]
    name = "owns a certified heritage bike"
    match = "(p)-[o:OWNS]->(v:Vehicle)-[:OF_MODEL]->(m:Model)"
    where = ["o.ownedThrough IS NULL", "o.certificationStatus IN ['certified', 'auto']",
             "m.family = 'Heritage'"]

Labels, relationship types, directions and properties are checked against the ontology and
values against each property's datatype and enum, so a typo fails at load time, naming the
segment and the condition. Identifiers come only from the ontology (backtick-quoted); every
value becomes a query parameter. ``days_ago(N)``, ``months_ago(N)`` and ``years_ago(N)`` are
relative to the evaluation time, so the same definition re-evaluates correctly every night.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, LiteralString, cast

from linkage.tomlfile import read
from ontology.errors import C360Error
from ontology.model import Field, Ontology

DEFAULT_PATH = Path(__file__).with_name("segments.toml")
AS_OF = "__ASOF__"  # replaced by the evaluation-time expression ($asOf, or a variable)
KINDS = ("static", "dynamic")

_NODE = re.compile(r"\((?P<var>[a-z]\w*)?(?::(?P<label>[A-Z]\w*))?\)")
_REL = re.compile(
    r"(?P<left><)?-\[(?P<var>[a-z]\w*)?(?::(?P<type>[A-Z][A-Z0-9_]*))?\]-(?P<right>>)?"
)
_TERM = re.compile(
    r"^(?P<var>[a-z]\w*)\.(?P<prop>[A-Za-z]\w*)\s*"
    r"(?:(?P<null>IS\s+(?:NOT\s+)?NULL)|(?P<op><>|<=|>=|=|<|>|IN)\s+(?P<value>.+))$",
    re.IGNORECASE,
)
_REF = re.compile(r"^(?P<var>[a-z]\w*)\.(?P<prop>[A-Za-z]\w*)$")
_AGO = re.compile(r"^(?P<unit>days|months|years)_ago\(\s*(?P<n>\d{1,5})\s*\)$")
_HAVING = re.compile(
    r"^(?:(?P<count>count)|(?P<fn>sum|max|min)\((?P<ref>[a-z]\w*\.[A-Za-z]\w*)\))\s*"
    r"(?P<op><>|<=|>=|=|<|>)\s*(?P<n>-?\d+(?:\.\d+)?)$"
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ORDERED = {"integer", "decimal", "double", "date", "dateTime"}
_NUMERIC = {"integer", "decimal", "double"}


class SegmentError(C360Error):
    """A segment definition that does not fit the ontology or the definition format."""

    exit_code = 2


@dataclass(frozen=True)
class Condition:
    """One named condition, compiled: ``held`` (a boolean Cypher expression on ``p``),
    ``matches`` (how many patterns matched, or None for a test of ``p`` alone) and
    ``values`` (the tested values of the first or latest match, as text)."""

    name: str
    text: str
    held: str
    matches: str | None
    values: str


@dataclass(frozen=True)
class Segment:
    id: str
    name: str
    kind: str
    version: str
    description: str
    require: str  # "all" or "any"
    conditions: tuple[Condition, ...]
    params: dict[str, Any] = field(compare=False)
    frozen_at: dt.datetime | None = None  # static segments: the snapshot time

    @property
    def definition(self) -> str:
        """The rule as text, stored on the Segment node for people reading the graph."""
        joiner = " AND " if self.require == "all" else " OR "
        return joiner.join(f"[{c.name}] {c.text}" for c in self.conditions)

    def predicate(self, as_of: str) -> LiteralString:
        """Whether ``p`` is in the segment at ``as_of`` (a Cypher expression)."""
        joiner = " AND " if self.require == "all" else " OR "
        text = joiner.join(f"({c.held})" for c in self.conditions)
        return cast(LiteralString, text.replace(AS_OF, as_of))  # type: ignore[redundant-cast]  # built from ontology-checked names

    def prefixed(self, prefix: str, as_of: str) -> tuple[LiteralString, dict[str, Any]]:
        """``predicate`` with every parameter renamed ``prefix + name``, and those
        parameters, so several segments' predicates can share one query."""
        text = re.sub(r"\$(c\d+_\d+)\b", rf"${prefix}\1", self.predicate(as_of))
        params = {prefix + k: v for k, v in self.params.items()}
        return cast(LiteralString, text), params  # type: ignore[redundant-cast]  # built from ontology-checked names


def load(path: Path | None, model: Ontology) -> tuple[Segment, ...]:
    """Every segment of ``path`` (default ``$C360_SEGMENTS``, else ``graph/segments.toml``),
    checked against ``model`` and compiled."""
    path = path or Path(os.environ.get("C360_SEGMENTS") or DEFAULT_PATH)
    data = read(path, SegmentError, "segment definitions")
    items = data.get("segment", [])
    if not isinstance(items, list) or not items:
        raise SegmentError(f"{path}: no [[segment]] tables")
    segments = [_segment(item, model, path) for item in items]
    seen: set[str] = set()
    for s in segments:
        if s.id in seen:
            raise SegmentError(f"{path}: segment {s.id!r} is defined twice")
        seen.add(s.id)
    return tuple(segments)


def _segment(item: Any, model: Ontology, path: Path) -> Segment:
    if not isinstance(item, dict):
        raise SegmentError(f"{path}: each [[segment]] must be a table")
    sid = str(item.get("id", ""))
    where = f"{path.name}: segment {sid!r}"
    if not _ID.match(sid):
        raise SegmentError(f"{where}: id must be lower-case letters, digits and '-'")
    unknown = set(item) - {
        "id",
        "name",
        "kind",
        "version",
        "description",
        "require",
        "frozen_at",
        "condition",
    }
    if unknown:
        raise SegmentError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    kind = item.get("kind", "dynamic")
    if kind not in KINDS:
        raise SegmentError(f"{where}: kind must be static or dynamic, not {kind!r}")
    require = item.get("require", "all")
    if require not in ("all", "any"):
        raise SegmentError(f"{where}: require must be all or any, not {require!r}")
    frozen = item.get("frozen_at")
    frozen_at = None
    if kind == "static":
        if frozen is None:
            raise SegmentError(
                f"{where}: a static segment needs frozen_at (its snapshot time)"
            )
        frozen_at = _datetime(frozen, where)
    elif frozen is not None:
        raise SegmentError(f"{where}: frozen_at is only for static segments")
    conditions = item.get("condition", [])
    if not isinstance(conditions, list) or not conditions:
        raise SegmentError(f"{where}: needs at least one [[segment.condition]]")
    params: dict[str, Any] = {}
    compiled = tuple(
        _Compiler(
            model,
            params,
            f"c{i}_",
            f"{where}, condition {c.get('name', i + 1)!r}"
            if isinstance(c, dict)
            else where,
        ).condition(c)
        for i, c in enumerate(conditions)
    )
    if not item.get("name"):
        raise SegmentError(f"{where}: needs a name")
    return Segment(
        id=sid,
        name=str(item["name"]),
        kind=kind,
        version=str(item.get("version", "1")),
        description=str(item.get("description", "")),
        require=require,
        conditions=compiled,
        params=params,
        frozen_at=frozen_at,
    )


def _datetime(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        raise SegmentError(f"{where}: {value!r} is not a date or date-time") from None


@dataclass
class _Var:
    kind: str  # "node" or "rel"
    names: tuple[str, ...]  # labels (node) or relationship types (rel); () when unnamed


class _Compiler:
    """Compiles one condition; ``params`` is shared by the segment's conditions."""

    def __init__(
        self, model: Ontology, params: dict[str, Any], prefix: str, where: str
    ) -> None:
        self.model = model
        self.params = params
        self.prefix = prefix
        self.where = where
        self.vars: dict[str, _Var] = {"p": _Var("node", ("Person",))}

    def fail(self, message: str) -> SegmentError:
        return SegmentError(f"{self.where}: {message}")

    def param(self, value: Any) -> str:
        name = (
            f"{self.prefix}{len([k for k in self.params if k.startswith(self.prefix)])}"
        )
        self.params[name] = value
        return f"${name}"

    # -- the condition -------------------------------------------------------------------

    def condition(self, spec: Any) -> Condition:
        if not isinstance(spec, dict):
            raise self.fail("must be a table")
        unknown = set(spec) - {"name", "match", "where", "having", "latest", "without"}
        if unknown:
            raise self.fail(f"unknown keys {', '.join(sorted(unknown))}")
        name = spec.get("name")
        if not name or not isinstance(name, str):
            raise self.fail("needs a name (it is the reason shown to users)")
        terms = _strings(spec.get("where", []), self.fail, "where")
        match = spec.get("match")
        if match is None:
            if any(k in spec for k in ("having", "latest", "without")):
                raise self.fail("having, latest and without need a match pattern")
            if not terms:
                raise self.fail("needs a match pattern or where tests")
            tests, refs = self.terms(terms)
            held = f"coalesce({' AND '.join(tests)}, false)"
            return Condition(name, " AND ".join(terms), held, None, _values(refs))
        pattern = self.pattern(str(match), first=True)
        tests, refs = self.terms(terms)
        text = f"{match}" + (f" WHERE {' AND '.join(terms)}" if terms else "")
        for sub in _tables(spec.get("without", []), self.fail):
            tests.append(self.without(sub))
            text += f" WITHOUT {sub['match']}" + (
                f" WHERE {' AND '.join(_strings(sub.get('where', []), self.fail, 'where'))}"
                if sub.get("where")
                else ""
            )
        where = f" WHERE {' AND '.join(tests)}" if tests else ""
        body = f"MATCH {pattern}{where}"
        matches = f"COUNT {{ {body} }}"
        latest, having = spec.get("latest"), spec.get("having")
        if latest is not None and having is not None:
            raise self.fail("use latest or having, not both")
        if latest is not None:
            key = self.ref(str(latest), ordered=True)
            base = f"MATCH {pattern}" + (
                f" WHERE {' AND '.join(tests[len(terms) :])}"
                if tests[len(terms) :]
                else ""
            )
            ok = " AND ".join(tests[: len(terms)]) or "true"
            held = f"coalesce(head(COLLECT {{ {base} RETURN coalesce({ok}, false) AS ok ORDER BY {key} DESC LIMIT 1 }}), false)"
            values = f"coalesce(head(COLLECT {{ {base} RETURN {_values([*refs, key])} AS v ORDER BY {key} DESC LIMIT 1 }}), [])"
            return Condition(
                name,
                f"{text} (the latest by {latest})",
                held,
                f"COUNT {{ {base} }}",
                values,
            )
        values = f"coalesce(head(COLLECT {{ {body} RETURN {_values(refs)} AS v LIMIT 1 }}), [])"
        if having is None:
            return Condition(name, text, f"EXISTS {{ {body} }}", matches, values)
        held = self.having(str(having), body)
        return Condition(name, f"{text} HAVING {having}", held, matches, values)

    def having(self, text: str, body: str) -> str:
        m = _HAVING.match(text.strip())
        if not m:
            raise self.fail(
                f"having {text!r}: write count <op> N, or sum|max|min(var.property) <op> N"
            )
        number = float(m["n"]) if "." in m["n"] else int(m["n"])
        if m["count"]:
            if m["op"] == "=" and number == 0:
                return f"NOT EXISTS {{ {body} }}"
            return f"COUNT {{ {body} }} {m['op']} {self.param(number)}"
        ref = self.ref(m["ref"], numeric=True)
        # A fold over the values, not sum()/max(): an aggregate inside an expression breaks
        # queries that project the expression beside other columns (the reasons query).
        values = f"COLLECT {{ {body} RETURN {ref} AS v }}"
        step = {
            "sum": "Acc + coalesce(Val, 0)",
            "max": "CASE WHEN Acc IS NULL OR Val > Acc THEN Val ELSE Acc END",
            "min": "CASE WHEN Acc IS NULL OR Val < Acc THEN Val ELSE Acc END",
        }[m["fn"]]
        start = "0" if m["fn"] == "sum" else "null"
        agg = f"reduce(Acc = {start}, Val IN {values} | {step})"
        return f"coalesce({agg} {m['op']} {self.param(number)}, false)"

    def without(self, spec: dict[str, Any]) -> str:
        unknown = set(spec) - {"match", "where"}
        if unknown or "match" not in spec:
            raise self.fail(
                "each without needs a match (and optional where), nothing else"
            )
        pattern = self.pattern(str(spec["match"]), first=False)
        tests, _ = self.terms(
            _strings(spec.get("where", []), self.fail, "without.where")
        )
        where = f" WHERE {' AND '.join(tests)}" if tests else ""
        return f"NOT EXISTS {{ MATCH {pattern}{where} }}"

    # -- patterns ------------------------------------------------------------------------

    def pattern(self, text: str, first: bool) -> str:
        """Re-emit a Cypher path, each label and type checked; ``first``: it starts at ``p``."""
        pos, out = 0, []
        text = text.strip()
        node = _NODE.match(text, pos)
        if not node:
            raise self.fail(f"match {text!r} must start with a node such as (p)")
        if first and node["var"] != "p":
            raise self.fail(f"match {text!r} must start at the person, (p)")
        prev = self.node(node, bound_ok=True)
        out.append(prev[0])
        pos = node.end()
        while pos < len(text):
            rel = _REL.match(text, pos)
            if not rel or bool(rel["left"]) == bool(rel["right"]):
                raise self.fail(
                    f"match {text!r}: expected -[:TYPE]-> or <-[:TYPE]- at {text[pos:]!r}"
                )
            nxt = _NODE.match(text, rel.end())
            if not nxt:
                raise self.fail(
                    f"match {text!r}: expected a node at {text[rel.end() :]!r}"
                )
            target = self.node(nxt, bound_ok=True)
            out.append(self.relationship(rel, prev[1], target[1], text))
            out.append(target[0])
            prev = target
            pos = nxt.end()
        return "".join(out)

    def node(self, m: re.Match[str], bound_ok: bool) -> tuple[str, tuple[str, ...]]:
        var, label = m["var"], m["label"]
        if label is not None and label not in self.model.nodes:
            raise self.fail(f"no class {label} in the ontology")
        if var is None:
            return (f"(:`{label}`)" if label else "()"), ((label,) if label else ())
        known = self.vars.get(var)
        if known is not None:
            if known.kind != "node" or (label and (label,) != known.names):
                raise self.fail(f"variable {var} is used twice with different meanings")
            return f"({var})", known.names
        self.vars[var] = _Var("node", (label,) if label else ())
        return (f"({var}:`{label}`)" if label else f"({var})"), (
            (label,) if label else ()
        )

    def relationship(
        self, m: re.Match[str], left: tuple[str, ...], right: tuple[str, ...], text: str
    ) -> str:
        rtype, var = m["type"], m["var"]
        if rtype is None:
            raise self.fail(f"match {text!r}: every relationship needs its type")
        rels = [r for r in self.model.relationships.values() if r.type == rtype]
        if not rels:
            raise self.fail(f"no relationship type {rtype} in the ontology")
        src, dst = (left, right) if m["right"] else (right, left)
        if not any(
            self._fits(r.source, src) and self._fits(r.target, dst) for r in rels
        ):
            raise self.fail(
                f"match {text!r}: {rtype} does not go from {src[0] if src else '()'} "
                f"to {dst[0] if dst else '()'} in the ontology"
            )
        if var is not None:
            if var in self.vars:
                raise self.fail(f"variable {var} is used twice")
            self.vars[var] = _Var("rel", (rtype,))
        inner = f"{var}:`{rtype}`" if var else f":`{rtype}`"
        return f"<-[{inner}]-" if m["left"] else f"-[{inner}]->"

    def _fits(self, declared: str, labels: tuple[str, ...]) -> bool:
        """A declared end class fits a pattern label that is it, a subclass or a superclass."""
        if not labels:
            return True
        node, decl = self.model.nodes.get(labels[0]), self.model.nodes.get(declared)
        if node is None or decl is None:
            return False
        return declared in node.labels or labels[0] in decl.labels

    # -- tests ---------------------------------------------------------------------------

    def field(self, var: str, prop: str) -> Field:
        known = self.vars.get(var)
        if known is None:
            raise self.fail(f"{var}.{prop}: {var} is not a variable of the pattern")
        if not known.names:
            raise self.fail(
                f"{var}.{prop}: give {var} a label or type to test its properties"
            )
        if known.kind == "node":
            found = self.model.node(known.names[0]).field(prop)
            if found is None:
                for sub in self.model.subclasses(known.names[0]):
                    found = found or sub.field(prop)
        else:
            found = next(
                (
                    f
                    for r in self.model.relationships.values()
                    if r.type == known.names[0]
                    for f in r.properties
                    if f.name == prop
                ),
                None,
            )
        if found is None:
            raise self.fail(f"{known.names[0]} has no property {prop} in the ontology")
        if found.many:
            raise self.fail(f"{var}.{prop} is a list; test single values only")
        return found

    def ref(self, text: str, ordered: bool = False, numeric: bool = False) -> str:
        m = _REF.match(text.strip())
        if not m:
            raise self.fail(f"{text!r} is not var.property")
        f = self.field(m["var"], m["prop"])
        if ordered and f.datatype not in _ORDERED:
            raise self.fail(f"{text} ({f.datatype}) cannot be ordered")
        if numeric and f.datatype not in _NUMERIC:
            raise self.fail(f"{text} ({f.datatype}) is not a number")
        return f"{m['var']}.`{f.name}`"

    def terms(self, terms: list[str]) -> tuple[list[str], list[str]]:
        tests, refs = [], []
        for term in terms:
            m = _TERM.match(term.strip())
            if not m:
                raise self.fail(
                    f"where {term!r}: write var.property <op> value, or var.property IS [NOT] NULL"
                )
            f = self.field(m["var"], m["prop"])
            lhs = f"{m['var']}.`{f.name}`"
            refs.append(lhs)
            if m["null"]:
                tests.append(f"{lhs} {' '.join(m['null'].upper().split())}")
                continue
            op = m["op"].upper()
            tests.append(f"{lhs} {op} {self.value(f, op, m['value'].strip(), term)}")
        return tests, refs

    def value(self, f: Field, op: str, text: str, term: str) -> str:
        other = _REF.match(text)
        if other and other["var"] in self.vars:
            g = self.field(other["var"], other["prop"])
            if g.datatype != f.datatype:
                raise self.fail(
                    f"where {term!r}: {f.datatype} compared with {g.datatype}"
                )
            return f"{other['var']}.`{g.name}`"
        ago = _AGO.match(text)
        if ago:
            if f.datatype not in ("date", "dateTime") or op == "IN":
                raise self.fail(
                    f"where {term!r}: {ago[0]} needs a date or date-time property"
                )
            unit = ago["unit"]
            base = AS_OF if f.datatype == "dateTime" else f"date({AS_OF})"
            return f"({base} - duration({{{unit}: {self.param(int(ago['n']))}}}))"
        value = _literal(text, self.fail, term)
        if op == "IN":
            if not isinstance(value, list):
                raise self.fail(f"where {term!r}: IN needs a list")
            return self.param([_coerce(f, v, self.fail, term) for v in value])
        if op not in ("=", "<>") and f.datatype not in _ORDERED:
            raise self.fail(
                f"where {term!r}: {f.datatype} cannot be compared with {op}"
            )
        return self.param(_coerce(f, value, self.fail, term))


def _values(refs: list[str]) -> str:
    """``['m.code = V96', ...]``: the tested values of one match, for the reasons."""
    items = [
        f"'{r.replace('`', '')} = ' + coalesce(toString({r}), 'null')"
        for r in dict.fromkeys(refs)
    ]
    return "[" + ", ".join(items) + "]"


def _literal(text: str, fail: Any, term: str) -> Any:
    """A TOML-like literal: a number, a quoted string, true/false, or a list of those."""
    try:
        return _constant(ast.parse(text, mode="eval").body)
    except (ValueError, SyntaxError):
        raise fail(f"where {term!r}: {text!r} is not a value (quote strings)") from None


def _constant(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
        return node.value
    if isinstance(node, ast.Name) and node.id in ("true", "false"):
        return node.id == "true"
    if isinstance(node, ast.List | ast.Tuple):
        return [_constant(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    raise ValueError("not a literal")


def _coerce(f: Field, value: Any, fail: Any, term: str) -> Any:
    """``value`` as the property's datatype, so Cypher compares like with like."""
    kind = f.datatype
    ok: Any
    if kind == "boolean":
        ok = value if isinstance(value, bool) else None
    elif kind == "integer":
        ok = value if isinstance(value, int) and not isinstance(value, bool) else None
    elif kind in ("decimal", "double"):
        ok = (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else None
        )
    elif kind == "date":
        ok = _parse(dt.date.fromisoformat, value)
    elif kind == "dateTime":
        ok = _parse(dt.datetime.fromisoformat, value)
    else:
        ok = value if isinstance(value, str) else None
        if ok is not None and f.enum and ok not in f.enum:
            raise fail(f"where {term!r}: {ok!r} is not one of {', '.join(f.enum)}")
    if ok is None:
        raise fail(f"where {term!r}: {value!r} is not a {kind}")
    return ok


def _parse(parse: Any, value: Any) -> Any:
    try:
        return parse(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _strings(value: Any, fail: Any, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{what} must be a list of strings")
    return list(value)


def _tables(value: Any, fail: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail("without must be a table or a list of tables")
    return value
