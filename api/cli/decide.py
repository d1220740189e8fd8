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
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import neo4j
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

    def the_rest(driver: neo4j.Driver, database: str) -> list[tuple[str, str]]:
        members = resolution_graph.customer_records(driver, database, keys[0])
        if not members:
            raise UnknownRecord(f"{records[0]} is not resolved to a customer")
        rest = [m for m in members if m not in set(keys)]
        if not rest:
            raise UnknownRecord(
                "nothing to split: those are all the customer's records"
            )
        return rest

    _decide("split", keys, the_rest, reason, sources)


Apart = list[tuple[str, str]] | Callable[[neo4j.Driver, str], list[tuple[str, str]]]


def _decide(
    decision: str,
    records: list[tuple[str, str]],
    apart_from: Apart,
    reason: str,
    sources: Path | None,
) -> None:
    """Check, validate and store one decision (``apart_from`` may be read from the graph)."""
    settings = neo4j_settings()
    driver = open_driver(settings)
    try:
        apart = (
            apart_from(driver, settings.database)
            if callable(apart_from)
            else apart_from
        )
        missing = resolution_graph.missing_records(
            driver, settings.database, [*records, *apart]
        )
        if missing:
            raise UnknownRecord(f"no source record {'/'.join(missing[0])} in the graph")
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
