"""Touchpoints into the graph: attach each to its resolved person, validate, write.

Runs after the persons are written (``HAD`` needs them). Every touchpoint read is either
written or quarantined with the reason: no person found, or a value the ontology's shapes
refuse.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import neo4j

from graph import load
from graph.cypher import touchpoints as cypher
from linkage import touchpoints as tp
from linkage.records import Quarantined
from linkage.resolve import Customer
from ontology.model import Ontology
from ontology.validate import Validator


def rows(
    touchpoints: Sequence[tp.Touchpoint],
    customers: Sequence[Customer],
    checks: dict[str, Validator],
    quarantine: list[Quarantined],
) -> dict[str, list[dict[str, Any]]]:
    """Write rows by touchpoint class; what cannot be written goes to ``quarantine``."""
    attached = tp.attach(touchpoints, tp.views(customers))
    quarantine += attached.quarantined
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t, person in attached.rows:
        props = {"source": t.source, "sourceId": t.source_id, "at": t.at, **t.props}
        links = dict(t.links)
        if "aboutVehicle" in links:
            links["aboutVehicle"] = links["aboutVehicle"].upper()
        clean, problems = checks[t.label].check(props, links)
        if problems:
            where = f"{t.source}/{t.source_id}"
            quarantine += [
                Quarantined(
                    where, f"{v.shape}: {v.message}", str(v.value or ""), v.path
                )
                for v in problems
            ]
            continue
        out[t.label].append({"props": clean, "links": links, "person": person})
    return dict(out)


def write(
    driver: neo4j.Driver,
    model: Ontology,
    by_label: dict[str, list[dict[str, Any]]],
    progress: load.Progress | None = None,
    database: str = "neo4j",
) -> int:
    """Write every class's rows; the number written."""
    done = 0
    for label in sorted(by_label):
        done += load.load_rows(
            driver,
            cypher.write_query(model, label),
            by_label[label],
            what=f"touchpoints {label}",
            progress=progress,
            database=database,
        )
    return done
