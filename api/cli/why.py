"""``c360 why A B`` and ``c360 why-not A B``: the evidence that joins or separates two records.

A record is named ``source/sourceId`` (e.g. ``dealer_crm/IT-003/A-88121``; a source name
never holds a ``/``). The answer combines what the last resolution stored (the chain of
linked evidence, a review or a guard decision) with a fresh explanation of the pair by the
same rules, model and guards.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any

import typer

from api.cli.connect import neo4j_settings, open_driver
from api.pipeline import record_from_props
from graph.cypher import resolution as resolution_graph
from linkage import settings as linkage_settings
from linkage.explain import explain
from linkage.ids import Key
from ontology.errors import C360Error

Record = Annotated[
    str, typer.Argument(help="source/sourceId, e.g. dealer_crm/IT-003/A-88121")
]


class UnknownRecord(C360Error):
    exit_code = 2


def parse_key(text: str) -> tuple[str, str]:
    source, sep, source_id = text.partition("/")
    if not sep or not source or not source_id:
        raise UnknownRecord(
            f"{text!r} is not source/sourceId (e.g. dealer_crm/IT-003/A-88121)"
        )
    return source, source_id


def why(a: Record, b: Record) -> None:
    """Why two source records are one customer (or, if they are not, what separates them)."""
    _answer(parse_key(a), parse_key(b), expect_same=True)


def why_not(a: Record, b: Record) -> None:
    """Why two source records are not one customer: failed rules, low score, guards, decisions."""
    _answer(parse_key(a), parse_key(b), expect_same=False)


def _answer(a: tuple[str, str], b: tuple[str, str], expect_same: bool) -> None:
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        found = resolution_graph.pair(driver, settings.database, a, b)
        if found is None:
            raise UnknownRecord(
                f"no source record {_name(a)} or {_name(b)} in the graph (load it with c360 resolve)"
            )
        model = resolution_graph.model(driver, settings.database)
        same = found["personA"] is not None and found["personA"] == found["personB"]
        chain = (
            resolution_graph.chain(driver, settings.database, a, b) if same else None
        )
        claims = resolution_graph.claims(driver, settings.database, [a, b])
    finally:
        driver.close()
    for line in _lines(a, b, found, claims, same, chain, model, expect_same):
        print(line)


def _lines(
    a: tuple[str, str],
    b: tuple[str, str],
    found: dict[str, Any],
    claims: dict[Key, tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    same: bool,
    chain: dict[str, Any] | None,
    model: dict[str, Any] | None,
    expect_same: bool,
) -> list[str]:
    out = [
        f"{_name(a)} -> customer {found['personA']}",
        f"{_name(b)} -> customer {found['personB']}",
    ]
    if same:
        out.append("same customer" + ("" if expect_same else "; they are linked:"))
        if chain:
            records, steps = chain["records"], chain["steps"]
            for (x, y), step in zip(pairwise(records), steps, strict=True):
                why = step.get("decisionReason")
                out.append(
                    f"  {_name(tuple(x))} -- {step.get('rule')}"
                    f"{_score(step.get('matchScore'))} --> {_name(tuple(y))}"
                    + (f" ({why})" if why else "")
                )
    else:
        out.append(
            "different customers" + (" (see the reasons below)" if expect_same else "")
        )
    evidence = found.get("evidence")
    if evidence:
        reason = (
            f" ({evidence['decisionReason']})" if evidence.get("decisionReason") else ""
        )
        out.append(
            f"stored decision for this pair: {evidence['decision']} by {evidence['rule']}"
            f"{_score(evidence.get('matchScore'))}{reason}"
        )
    elif not same:
        out.append(
            "stored decision for this pair: none (no blocking rule paired them, or they scored below review)"
        )
    for d in sorted(found.get("decisions") or [], key=lambda d: str(d.get("at"))):
        out.append(
            f"manual decision: {d['decision']} of {', '.join(d['records'])}"
            + (f" apart from {', '.join(d['apartFrom'])}" if d.get("apartFrom") else "")
            + f" by {d['actor']} at {d['at']}: {d['decisionReason']}"
        )
    # Each with the vehicles and clubs it states, as a batch run compares them.
    ra = record_from_props(found["a"], *claims.get(a, ([], [])))
    rb = record_from_props(found["b"], *claims.get(b, ([], [])))
    if ra is None or rb is None:
        out.append("(a record has no identifying value left to compare)")
        return out
    settings = linkage_settings.default()
    e = explain(ra, rb, settings, model)
    held = ", ".join(f"{r} ({ev})" for r, ev in e.rules) or "none"
    out.append(f"rules that hold now: {held}")
    if e.probability is None:
        out.append("model: none stored yet (run c360 resolve)")
    else:
        verdict = (
            "auto-match"
            if e.probability >= settings.auto_match
            else "review"
            if e.probability >= settings.review
            else "no match"
        )
        out.append(f"model: match probability {e.probability:.4f} ({verdict})")
        for f in e.features:
            weight = "" if f.weight is None else f" ({f.weight:+.1f})"
            out.append(f"  {f.comparison}: {f.level}{weight}")
    out.append(f"guards: {e.guard or 'none; nothing forbids joining them'}")
    return out


def _name(key: tuple[str, ...]) -> str:
    return "/".join(key)


def _score(value: float | None) -> str:
    return "" if value is None else f" {value:.4f}"
