"""Reference docs and a diagram, derived from the ontology model so they cannot drift from it.

``reference_markdown`` and ``model_dot`` read only an ``Ontology`` (never raw triples) and are
deterministic, so the committed docs change exactly when the ontology does. ``write_docs``
adds the SVG and PNG that Graphviz ``dot`` renders from the DOT text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ontology.errors import C360Error
from ontology.model import Field, NodeType, Ontology, Relationship, iter_fields
from ontology.neo4j_schema import SchemaItem, schema_items

SCHEMA_ORG = "https://schema.org/"


class GraphvizError(C360Error):
    """Graphviz is missing or could not render the diagram: a set-up problem, not a schema one."""

    exit_code = 2


# --- Markdown ---------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Table cells cannot hold pipes or line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _anchor(heading: str) -> str:
    """The fragment GitHub gives a heading, so the table of contents links work there."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _card(required: bool, many: bool) -> str:
    return ("1" if required else "0") + ("..*" if many else ("" if required else "..1"))


def _terms(iris: Iterable[str]) -> str:
    """``https://schema.org/Person`` -> ``[schema:Person](https://schema.org/Person)``."""
    out = []
    for iri in iris:
        short = (
            "schema:" + iri[len(SCHEMA_ORG) :] if iri.startswith(SCHEMA_ORG) else iri
        )
        out.append(f"[{short}]({iri})")
    return ", ".join(out)


def _code(names: Iterable[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _links(names: Iterable[str]) -> str:
    """Class names linked to their sections."""
    return ", ".join(f"[{n}](#{_anchor(n)})" for n in names)


def _values(f: Field) -> str:
    """What a value may be, beyond its datatype: the enumeration, pattern and bounds."""
    parts = [_code(f.enum)] if f.enum else []
    words = {
        "pattern": "pattern",
        "minInclusive": "min",
        "maxInclusive": "max",
        "minLength": "min length",
        "maxLength": "max length",
    }
    seen = set()
    for c in f.constraints:
        if c.kind in words and (c.kind, str(c.value)) not in seen:
            seen.add((c.kind, str(c.value)))
            parts.append(f"{words[c.kind]} `{c.value}`")
    return "; ".join(parts)


def _pii(f: Field) -> str:
    return f"yes: {', '.join(f.purposes)}" if f.pii else ""


def _describe(f: Field) -> str:
    aligned = f" ({_terms(f.aligned)})" if f.aligned else ""
    derived = ""
    if f.derived_from is not None:
        inputs = f" from {_code(f.derived_from)}" if f.derived_from else ""
        derived = f" Computed by the service{inputs} (machine-generated)."
    return f.comment + aligned + derived


def _property_table(
    fields: Iterable[Field], indexes: dict[str, str] | None
) -> list[str]:
    head = ["Property", "Type", "Cardinality", "Values", "Personal data"]
    head += ["Index"] if indexes is not None else []
    lines = [
        "| " + " | ".join([*head, "Description"]) + " |",
        "|" + "---|" * (len(head) + 1),
    ]
    for f in fields:
        row = [
            f"`{f.name}`",
            f.datatype,
            _card(f.required, f.many),
            _values(f),
            _pii(f),
        ]
        row += [indexes.get(f.name, "")] if indexes is not None else []
        lines.append("| " + " | ".join(_cell(c) for c in [*row, _describe(f)]) + " |")
    return lines


def _edge_props(rel: Relationship) -> str:
    return ", ".join(f"`{f.name}`: {f.datatype}" for f in rel.properties)


def _constraint_on(items: Iterable[SchemaItem], node: NodeType) -> SchemaItem | None:
    return next(
        (
            i
            for i in items
            if i.kind == "unique"
            and i.label in node.labels
            and i.properties == node.key
        ),
        None,
    )


def _indexes_on(items: Iterable[SchemaItem], node: NodeType) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in items:
        if i.kind != "unique" and i.label in node.labels:
            kind = "range" if i.kind == "range" else "full-text"
            for p in i.properties:
                out[p] = f"{kind} `{i.name}`"
    return out


def _match(node: NodeType) -> str:
    keys = ", ".join(f"{k}: ${k}" for k in node.key)
    return f"(n:{node.name} {{{keys}}})" if keys else f"(n:{node.name})"


def example_queries(model: Ontology, node: NodeType) -> list[str]:
    """A lookup by key and one traversal, preferring the class's own relationship with properties."""
    limit = "" if node.key else " LIMIT 25"
    queries = [f"MATCH {_match(node)} RETURN n{limit}"]
    rels = sorted(
        model.outgoing(node.name),
        key=lambda r: (r.source != node.name, not r.properties, r.name),
    )
    if rels:
        r = rels[0]
        edge = r.edge_class or ""
        ret = (
            f"m, properties(r) AS {edge[:1].lower() + edge[1:]}"
            if r.properties
            else "m"
        )
        queries.append(
            f"MATCH {_match(node)}-[r:{r.type}]->(m:{r.target}) RETURN {ret}{limit}"
        )
    return queries


def _node_section(
    model: Ontology, node: NodeType, items: tuple[SchemaItem, ...]
) -> list[str]:
    lines = [f"### {node.name}", "", f"**{node.label}.** {node.comment}", ""]
    if node.abstract:
        lines.append("- Abstract: never a node by itself, only through its subclasses.")
    if node.personal:
        lines.append(
            "- About a person: an API role that sees only some people sees only the "
            "nodes that lead to them."
        )
    if node.restricted:
        lines.append("- Restricted: only the admin and privacy-officer roles read it.")
    lines.append(f"- Neo4j labels: {' '.join(f'`:{label}`' for label in node.labels)}")
    constraint = _constraint_on(items, node)
    if constraint is not None:
        where = "" if constraint.label == node.name else f" on `:{constraint.label}`"
        lines.append(
            f"- Key: {_code(node.key)} (uniqueness constraint `{constraint.name}`{where})"
        )
    else:
        subs = model.subclasses(node.name)
        own = (
            " (each subclass has its own)" if subs and all(s.key for s in subs) else ""
        )
        lines.append(f"- Key: none{own}")
    if node.superclasses:
        lines.append(f"- Superclasses: {_links(node.superclasses)}")
    subclasses = sorted(s.name for s in model.subclasses(node.name))
    if subclasses:
        lines.append(f"- Subclasses: {_links(subclasses)}")
    if node.aligned:
        lines.append(f"- Aligned with: {_terms(node.aligned)}")
    lines += ["", "Properties:", ""]
    lines += _property_table(node.fields, _indexes_on(items, node))

    outgoing = sorted(model.outgoing(node.name), key=lambda r: r.name)
    if outgoing:
        lines += ["", "Outgoing relationships:", ""]
        lines += [
            "| Field | Neo4j type | Target | Cardinality | Edge properties | Description |",
            "|---|---|---|---|---|---|",
        ]
        for r in outgoing:
            inherited = "" if r.source == node.name else f" (from {r.source})"
            row = [
                f"`{r.name}`",
                f"`{r.type}`",
                _links([r.target]),
                _card(r.required, r.many),
            ]
            row += [_edge_props(r), r.comment + inherited]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    incoming = sorted(model.incoming(node.name), key=lambda r: r.inverse or "")
    if incoming:
        lines += ["", "Incoming relationships (walked back by an inverse field):", ""]
        lines += ["| Field | Neo4j type | From | Description |", "|---|---|---|---|"]
        for r in incoming:
            row = [
                f"`{r.inverse}`",
                f"`{r.type}`",
                _links([r.source]),
                r.inverse_comment,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines += ["", "Example:", "", "```cypher", *example_queries(model, node), "```", ""]
    return lines


def _relationship_section(model: Ontology) -> list[str]:
    rels = sorted(model.relationships.values(), key=lambda r: r.type)
    lines = [
        "## Relationship types",
        "",
        "Cardinality is the number of targets per source node.",
        "",
        "| Neo4j type | From | To | Cardinality | Field | Inverse field | Edge properties | Description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rels:
        edge = f"[{r.edge_class}](#{_anchor(_edge_heading(r))})" if r.properties else ""
        row = [
            f"`{r.type}`",
            _links([r.source]),
            _links([r.target]),
            _card(r.required, r.many),
            f"`{r.name}`",
            f"`{r.inverse}`" if r.inverse else "",
            edge,
            r.comment,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    for r in rels:
        if r.properties:
            lines += [
                "",
                f"### {_edge_heading(r)}",
                "",
                f"`(:{r.source})-[:{r.type}]->(:{r.target})`",
                "",
            ]
            lines += _property_table(r.properties, None)
    return [*lines, ""]


def _edge_heading(r: Relationship) -> str:
    return f"{r.type} properties ({r.edge_class})"


def _pii_section(model: Ontology) -> list[str]:
    """Personal data by purpose, each property once: on the class that declares it."""
    by_purpose: dict[str, set[str]] = {}
    for owner, f in iter_fields(model):
        node = model.nodes.get(owner)
        inherited = node is not None and any(
            model.nodes[s].field(f.name) for s in node.superclasses
        )
        if f.pii and not inherited:
            for purpose in f.purposes or ("(no purpose declared)",):
                by_purpose.setdefault(purpose, set()).add(f"`{owner}.{f.name}`")
    lines = ["## Personal data by purpose", "", "| Purpose | Properties |", "|---|---|"]
    for purpose, props in sorted(by_purpose.items()):
        lines.append(f"| {_cell(purpose)} | {', '.join(sorted(props))} |")
    return [*lines, ""]


def _schema_section(items: tuple[SchemaItem, ...]) -> list[str]:
    lines = [
        "## Neo4j constraints and indexes",
        "",
        "Applied by the graph layer; Community edition has no existence or type constraints,",
        "so required properties and datatypes are checked before writing.",
        "",
        "| Name | Kind | Label | Properties |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{i.name}` | {i.kind} | `:{i.label}` | {_code(i.properties)} |"
        for i in items
    ]
    return [*lines, "", "```cypher", *(i.statement for i in items), "```", ""]


def reference_markdown(model: Ontology) -> str:
    """The whole reference as one Markdown document."""
    nodes = sorted(model.nodes.values(), key=lambda n: n.name)
    items = schema_items(model)
    sections = [
        "Node classes",
        "Relationship types",
        "Personal data by purpose",
        "Neo4j constraints and indexes",
    ]
    lines = [
        f"# {model.label} ontology {model.version}: reference",
        "",
        f"Generated from `{model.path.name}` (`{model.iri}`) by `c360 ontology docs`.",
        "Edit the ontology, not this file.",
        "",
        "![Model diagram](model.svg)",
        "",
        "Cardinality: `1` required, `0..1` optional, `1..*` a non-empty list, `0..*` a list.",
        "",
        "## Contents",
        "",
    ]
    for s in sections:
        lines.append(f"- [{s}](#{_anchor(s)})")
        if s == "Node classes":
            lines += [f"  - [{n.name}](#{_anchor(n.name)}): {n.label}" for n in nodes]
    lines += ["", "## Node classes", ""]
    for node in nodes:
        lines += _node_section(model, node, items)
    lines += _relationship_section(model) + _pii_section(model) + _schema_section(items)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Graphviz ---------------------------------------------------------------------------------


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _direct_supers(model: Ontology, node: NodeType) -> list[str]:
    """The superclasses not reached through another one: ``superclasses`` is transitive."""
    supers = node.superclasses
    return [
        s
        for s in supers
        if not any(s in model.nodes[t].superclasses for t in supers if t != s)
    ]


def model_dot(model: Ontology) -> str:
    """The model as DOT: classes with their key, relationships by Neo4j type, dashed subclassing."""
    lines = [
        f'digraph "{model.label}" {{',
        f'  graph [rankdir=LR, fontname="Helvetica", fontsize=11, labelloc=t, nodesep=0.2, ranksep=0.5, label=<{_html(model.label)} ontology {_html(model.version)}>];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3f8", color="#50657a", fontname="Helvetica", fontsize=10, margin="0.08,0.03"];',
        '  edge [fontname="Helvetica", fontsize=8, color="#50657a", fontcolor="#1f3347", arrowsize=0.6];',
    ]
    for node in sorted(model.nodes.values(), key=lambda n: n.name):
        name = f"<i>{node.name}</i>" if node.abstract else f"<b>{node.name}</b>"
        key = (
            f'<br/><font point-size="8">{_html(", ".join(node.key))}</font>'
            if node.key
            else ""
        )
        lines.append(f'  "{node.name}" [label=<{name}{key}>];')
    for node in sorted(model.nodes.values(), key=lambda n: n.name):
        for s in _direct_supers(model, node):
            lines.append(
                f'  "{node.name}" -> "{s}" [style=dashed, arrowhead=empty, color="#8a9bab"];'
            )
    for r in sorted(model.relationships.values(), key=lambda r: r.type):
        props = "".join(
            f'<br/><font point-size="7">{_html(f.name)}: {f.datatype}</font>'
            for f in r.properties
        )
        # A self-loop hangs below its node, where its label clears the other edges.
        loop = ", tailport=s, headport=s" if r.source == r.target else ""
        lines.append(
            f'  "{r.source}" -> "{r.target}" [label=<<b>{r.type}</b>{props}>{loop}];'
        )
    return "\n".join([*lines, "}"]) + "\n"


def render(dot_text: str, fmt: str) -> bytes:
    """``dot -T<fmt>`` on the text; the picture is only as good as the installed Graphviz."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError(
            "Graphviz `dot` is not on the PATH; install it: apt-get install graphviz"
        )
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphvizError(
            f"dot -T{fmt} failed: {why[0] if why else f'exit {done.returncode}'}"
        )
    return done.stdout


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: readers see the old file or the new, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; docs are for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_docs(model: Ontology, out_dir: Path) -> list[Path]:
    """Write reference.md, model.dot, model.svg and model.png; render first, so a missing
    Graphviz leaves the old docs untouched."""
    dot_text = model_dot(model)
    files = {
        "reference.md": reference_markdown(model).encode(),
        "model.dot": dot_text.encode(),
        "model.svg": render(dot_text, "svg"),
        "model.png": render(dot_text, "png"),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        _write_atomic(out_dir / name, data)
        paths.append(out_dir / name)
    return paths


__all__ = [
    "GraphvizError",
    "example_queries",
    "model_dot",
    "reference_markdown",
    "render",
    "write_docs",
]
