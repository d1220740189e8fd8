"""Materialised segment membership: refresh it, explain it.

Each definition (``graph/segments.toml``, compiled by ``graph.segment_compile``) is evaluated
in Neo4j. A refresh closes the memberships whose rule no longer holds (``until`` = the
evaluation day) and opens one for each newcomer (``since``), so ``IN_SEGMENT`` keeps the whole
history and entry and exit are the ``since`` and ``until`` of each relationship. A
membership's ``evaluatedAt`` is the refresh that opened (later: closed) it, so a refresh
that changes nothing writes nothing but the segment's own ``evaluatedAt`` and count. A changed
rule version closes every membership of the old version. A static segment is evaluated once,
at its ``frozen_at``, and then left alone until its version changes.

The API reads memberships as stored (fast, stable between refreshes) and explains one by
evaluating each condition for that person at the time of the last refresh.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, LiteralString, cast

import neo4j

from graph.cypher import segments as cypher
from graph.load import Progress
from graph.segment_compile import AS_OF, Segment

BATCH = 2000


@dataclass(frozen=True)
class Refreshed:
    segment: str
    members: int
    entered: int
    exited: int
    seconds: float
    skipped: bool = False  # a static segment already frozen under this version


def _exit_query(segment: Segment, scoped: bool) -> LiteralString:
    pred = segment.predicate("$asOf")
    scope = " AND p.id IN $ids" if scoped else ""
    body = (
        "WITH * WHERE Mem.ruleVersion <> Seg.ruleVersion OR NOT (" + pred + ")\n"
        "SET Mem.until = date($asOf), Mem.evaluatedAt = $asOf RETURN 1 AS closed"
    )
    text = (
        "MATCH (Seg:Segment {id: $segment})<-[Mem:IN_SEGMENT]-(p:Person)\n"
        f"WHERE Mem.until IS NULL{scope}\n"
        f"CALL (Seg, Mem, p) {{ {body} }}"
        + ("" if scoped else f" IN TRANSACTIONS OF {BATCH} ROWS")
        + "\nRETURN count(closed) AS exited"
    )
    return cast(LiteralString, text)  # type: ignore[redundant-cast]  # built from the ontology-checked definition


def _enter_query(segment: Segment, scoped: bool) -> LiteralString:
    pred = segment.predicate("$asOf")
    scope = " WHERE p.id IN $ids" if scoped else ""
    body = (
        "WITH * WHERE " + pred + "\n"
        "OPTIONAL MATCH (p)-[Mem:IN_SEGMENT]->(Seg) WHERE Mem.until IS NULL\n"
        "FOREACH (_ IN CASE WHEN Mem IS NULL THEN [1] ELSE [] END |\n"
        "  CREATE (p)-[:IN_SEGMENT {since: date($asOf), ruleVersion: Seg.ruleVersion, "
        "evaluatedAt: $asOf}]->(Seg))\n"
        "RETURN Mem IS NULL AS new"
    )
    text = (
        "MATCH (Seg:Segment {id: $segment})\n"
        f"MATCH (p:Person){scope}\n"
        f"CALL (Seg, p) {{ {body} }}"
        + ("" if scoped else f" IN TRANSACTIONS OF {BATCH} ROWS")
        + "\nRETURN count(*) AS held, sum(CASE WHEN new THEN 1 ELSE 0 END) AS entered"
    )
    return cast(LiteralString, text)  # type: ignore[redundant-cast]  # built from the ontology-checked definition


def _rows(segments: tuple[Segment, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "version": s.version,
            "definition": s.definition,
            "description": s.description or None,
        }
        for s in segments
    ]


def refresh(
    driver: neo4j.Driver,
    segments: tuple[Segment, ...],
    as_of: dt.datetime,
    database: str = "neo4j",
    progress: Progress | None = None,
) -> list[Refreshed]:
    """Evaluate every segment over every person (after a batch load, or nightly)."""
    as_of = as_of.replace(microsecond=0, tzinfo=None)
    done: list[Refreshed] = []
    with driver.session(database=database) as session:  # CALL IN TRANSACTIONS: implicit
        session.run(cypher.RETIRE, ids=[s.id for s in segments], asOf=as_of).consume()
        for i, seg in enumerate(segments):
            if progress:
                progress("segments", i, len(segments))
            start = time.perf_counter()
            frozen = session.run(
                cypher.FROZEN, segment=seg.id, version=seg.version
            ).single()
            session.run(cypher.UPSERT, rows=_rows((seg,))).consume()
            if seg.kind == "static" and frozen is not None and frozen["frozen"]:
                members = session.run(cypher.SEGMENT_COUNT, segment=seg.id).single()
                done.append(
                    Refreshed(
                        seg.id,
                        members["total"] if members else 0,
                        0,
                        0,
                        time.perf_counter() - start,
                        skipped=True,
                    )
                )
                continue
            when = seg.frozen_at or as_of
            params = {**seg.params, "segment": seg.id, "asOf": when}
            exited = session.run(_exit_query(seg, False), params).single()
            entered = session.run(_enter_query(seg, False), params).single()
            count = session.run(cypher.COUNT, segment=seg.id, asOf=when).single()
            done.append(
                Refreshed(
                    seg.id,
                    count["members"] if count else 0,
                    entered["entered"] if entered else 0,
                    exited["exited"] if exited else 0,
                    time.perf_counter() - start,
                )
            )
    if progress:
        progress("segments", len(segments), len(segments))
    return done


def people_step(segments: tuple[Segment, ...]) -> tuple[LiteralString, dict[str, Any]]:
    """A ``CALL (p)`` clause re-evaluating every dynamic segment for a person ``p`` bound
    before it (an incremental update's customers, inside its transaction): the same
    entries and exits as ``refresh`` would make for them, with each stored member count
    moved by the difference.

    Every predicate is evaluated in one projection, then only the memberships that change
    are written: a person whose segments stay as they were costs reads only (no write
    locks on the segments, nothing for the commit to log)."""
    dynamic = [s for s in segments if s.kind == "dynamic"]
    params: dict[str, Any] = {}
    verdicts = []
    for i, seg in enumerate(dynamic):
        prefix = f"s{i}_"
        pred, own = seg.prefixed(prefix, "$asOf")
        params |= {f"{prefix}id": seg.id, **own}
        verdicts.append(f"    {{id: ${prefix}id, held: {pred}}}")
    text = (
        "CALL (p) {\n  WITH p, [\n"
        + ",\n".join(verdicts)
        + "\n  ] AS Verdicts\n"
        + _PERSON_STEP
        + "}"
    )
    return cast(LiteralString, text), params  # type: ignore[redundant-cast]  # built from the ontology-checked definitions


# One person's verdicts (``Verdicts``: each dynamic segment's ID and whether its rule
# holds): close each open membership whose rule does not hold (or that an older rule version
# made), then open one for each segment that holds and has none open, moving the stored
# counts. A rule that comes out null changes nothing, as in ``refresh``.
_PERSON_STEP = """\
  WITH p, Verdicts, [v IN Verdicts WHERE v.held | v.id] AS Held,
       [v IN Verdicts WHERE NOT v.held | v.id] AS Unheld
  CALL (p, Verdicts, Unheld) {
    MATCH (p)-[Mem:IN_SEGMENT]->(Seg:Segment)
    WHERE Mem.until IS NULL AND Seg.id IN [v IN Verdicts | v.id]
      AND (Seg.id IN Unheld OR Mem.ruleVersion <> Seg.ruleVersion)
    SET Mem.until = date($asOf), Mem.evaluatedAt = $asOf,
        Seg.memberCount = coalesce(Seg.memberCount, 0) - 1
  }
  CALL (p, Held) {
    UNWIND Held AS id
    MATCH (Seg:Segment {id: id})
    WHERE NOT EXISTS { (p)-[Mem:IN_SEGMENT]->(Seg) WHERE Mem.until IS NULL }
    CREATE (p)-[:IN_SEGMENT {since: date($asOf), ruleVersion: Seg.ruleVersion, evaluatedAt: $asOf}]->(Seg)
    SET Seg.memberCount = coalesce(Seg.memberCount, 0) + 1
  }
"""


def reasons_query(segment: Segment) -> tuple[LiteralString, dict[str, Any]]:
    """One query: is ``$person`` in the segment (stored), and each condition evaluated for
    them at the segment's last refresh: held, how many matches, the tested values."""
    params: dict[str, Any] = dict(segment.params)
    items = []
    for i, c in enumerate(segment.conditions):
        params[f"name{i}"] = c.name
        held = c.held.replace(AS_OF, "AsOf")
        matches = c.matches.replace(AS_OF, "AsOf") if c.matches else "null"
        values = c.values.replace(AS_OF, "AsOf")
        items.append(
            f"{{condition: $name{i}, held: {held}, matches: {matches}, values: {values}}}"
        )
    text = (
        "MATCH (Seg:Segment {id: $segment})\n"
        "MATCH (p:Person {id: $person})\n"
        "WITH Seg, p, coalesce(Seg.evaluatedAt, localdatetime.truncate('second', localdatetime())) AS AsOf\n"
        "OPTIONAL MATCH (p)-[Mem:IN_SEGMENT]->(Seg) WHERE Mem.until IS NULL\n"
        "RETURN Mem IS NOT NULL AS member, Mem.since AS since, Mem.ruleVersion AS ruleVersion, "
        f"AsOf AS evaluatedAt, [{', '.join(items)}] AS reasons"
    )
    return cast(LiteralString, text), params  # type: ignore[redundant-cast]  # built from the ontology-checked definition
