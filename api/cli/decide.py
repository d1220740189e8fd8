"""``c360 merge | split | never-link``: manual, audited linkage decisions.

Each decision is a ``LinkDecision`` node (who, when, why, which records) that every later
resolution honours: a merge is a must-link, a split and a never-link are cannot-links. With
``--sources`` the data set is resolved again at once, so the graph shows the decision.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import uuid
from pathlib import Path
from typing import Annotated

import typer

from api import pipeline
from api.cli.connect import neo4j_settings, open_driver
from api.cli.load import report
from api.cli.output import ProgressPrinter, say
from api.cli.why import Record, UnknownRecord, parse_key
from graph.cypher import resolution as resolution_graph
from ontology.model import default as default_ontology
from ontology.validate import validators

Reason = Annotated[str, typer.Option(help="Why (kept in the audit trail)", min=3)]
SourcesOption = Annotated[
    Path | None,
    typer.Option(help="Re-resolve this sources file now", exists=True, dir_okay=False),
]


def merge(a: Record, b: Record, reason: Reason, sources: SourcesOption = None) -> None:
    """Two records are the same person, whatever the rules and the model say."""
    _decide("merge", [parse_key(a), parse_key(b)], [], reason, sources)


def never_link(
    a: Record, b: Record, reason: Reason, sources: SourcesOption = None
) -> None:
    """Two records are never the same person (e.g. a father and son with one email)."""
    _decide("never_link", [parse_key(a)], [parse_key(b)], reason, sources)


def split(
    records: Annotated[
        list[str], typer.Argument(help="Records to split off, source/sourceId")
    ],
    reason: Reason,
    sources: SourcesOption = None,
) -> None:
    """Split records off their customer: they become a person of their own, apart from the rest."""
    keys = [parse_key(r) for r in records]
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        rows, _, _ = driver.execute_query(
            """
            MATCH (s:SourceRecord {source: $key[0], sourceId: $key[1]})-[:RESOLVED_TO]->(p:Person)
            MATCH (o:SourceRecord)-[:RESOLVED_TO]->(p)
            RETURN collect([o.source, o.sourceId]) AS members
            """,
            key=list(keys[0]),
            database_=settings.database,
        )
    finally:
        driver.close()
    members = [tuple(m) for m in rows[0]["members"]] if rows else []
    if not members:
        raise UnknownRecord(f"{records[0]} is not resolved to a customer")
    rest = [m for m in members if m not in set(keys)]
    if not rest:
        raise UnknownRecord("nothing to split: those are all the customer's records")
    _decide("split", keys, [(str(s), str(i)) for s, i in rest], reason, sources)


def _decide(
    decision: str,
    records: list[tuple[str, str]],
    apart: list[tuple[str, str]],
    reason: str,
    sources: Path | None,
) -> None:
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        for key in [*records, *apart]:
            if resolution_graph.pair(driver, settings.database, key, key) is None:
                raise UnknownRecord(f"no source record {'/'.join(key)} in the graph")
        props = {
            "id": str(uuid.uuid4()),
            "decision": decision,
            "records": ["/".join(k) for k in records],
            "apartFrom": ["/".join(k) for k in apart] or None,
            "actor": os.environ.get("C360_ACTOR") or getpass.getuser(),
            "decisionReason": reason,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        clean, problems = validators(default_ontology())["LinkDecision"].check(props)
        if problems:
            raise UnknownRecord("; ".join(f"{v.path}: {v.message}" for v in problems))
        resolution_graph.save_decision(driver, settings.database, clean)
        say(f"recorded {decision} {props['id']} by {props['actor']}: {reason}")
        if sources is not None:
            report(
                pipeline.run(
                    driver,
                    sources,
                    progress=ProgressPrinter(),
                    database=settings.database,
                )
            )
        else:
            say(
                "it takes effect at the next `c360 resolve` (or pass --sources to resolve now)"
            )
    finally:
        driver.close()
