"""Touchpoints and referrals into the graph: attach each to resolved persons, validate, write.

Runs after the persons are written (``HAD`` and ``REFERRED`` need them). Every touchpoint
and referral read is either written or quarantined with the reason: no person found, a
value the ontology's shapes refuse, or (referrals) a hop the rules of §5 do not allow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import neo4j

from graph import load
from graph.cypher import touchpoints as cypher
from linkage import referrals as rf
from linkage import touchpoints as tp
from ontology.model import Ontology

if TYPE_CHECKING:
    from api.pipeline import (
        Gate,  # the pipeline's validation gate (it imports this module)
    )


def rows(
    touchpoints: Sequence[tp.Touchpoint], directory: tp.Directory, gate: Gate
) -> dict[str, list[dict[str, Any]]]:
    """Write rows by touchpoint class; what cannot be written goes to the gate's quarantine."""
    attached = tp.attach(touchpoints, directory)
    gate.quarantined += attached.quarantined
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t, person in attached.rows:
        props = {"source": t.source, "sourceId": t.source_id, "at": t.at, **t.props}
        links = dict(t.links)
        if "aboutVehicle" in links:
            links["aboutVehicle"] = links["aboutVehicle"].upper()
        clean = gate.check(t.label, f"{t.source}/{t.source_id}", props, links)
        if clean is None:
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


LEADS = frozenset({"TestRide", "Quotation", "Order"})  # the buying signals of a journey


def first_leads(journeys: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each person's first buying signal (ISO time), from the touchpoint rows."""
    first_lead: dict[str, str] = {}
    for label in LEADS & journeys.keys():
        for row in journeys[label]:
            at = row["props"]["at"].isoformat()
            if at < first_lead.get(row["person"], "~"):
                first_lead[row["person"]] = at
    return first_lead


def referral_rows(
    mentions: Sequence[rf.Mention],
    directory: tp.Directory,
    first_lead: dict[str, str],
    gate: Gate,
) -> list[dict[str, Any]]:
    """``REFERRED`` rows: each hop before the referee's first lead (``first_leads``), one
    referrer per person."""
    linked = rf.link(mentions, directory, first_lead)
    gate.quarantined += linked.quarantined
    out = []
    for r in linked.referrals:
        props = {"mechanism": r.mechanism, "at": r.at, "evidence": r.evidence}
        clean = gate.check(rf.REFERRAL_EDGE, r.evidence, props)
        if clean is None:
            continue
        out.append({"referrer": r.referrer, "referee": r.referee, "props": clean})
    return out
