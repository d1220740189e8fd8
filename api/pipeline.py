"""The main job, end to end: sources file -> ingest/quarantine -> resolve -> load into Neo4j.

Lives in ``api`` because it is the one place that chains ``linkage`` output into ``graph``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j

from graph import load, schema
from graph.cypher.customer import search_text
from linkage import exact
from linkage.records import Quarantined, SourceRecord
from linkage.sources import Ingested, ingest, load_sources


@dataclass(frozen=True)
class PipelineResult:
    lines: int
    records: int
    persons: int
    quarantined: tuple[Quarantined, ...]
    removed_persons: int
    unmapped: dict[str, set[str]]
    touchpoint_rows: dict[str, int]

    @property
    def consolidation_rate(self) -> float:
        """1 - unified persons / source records (domain brief §8)."""
        return 1 - self.persons / self.records if self.records else 0.0


def run(
    driver: neo4j.Driver,
    sources_path: Path,
    progress: load.Progress | None = None,
    database: str = "neo4j",
) -> PipelineResult:
    """Ingest every source of ``sources_path``, resolve, write the graph. Idempotent."""
    data = ingest(load_sources(sources_path), progress)
    persons = exact.resolve(data.records)
    schema.apply_schema(driver, database)
    for kind, rows in reference_rows(data).items():
        load.load_rows(
            driver,
            load.REFERENCE[kind],
            rows,
            what=kind,
            progress=progress,
            database=database,
        )
    load.load_rows(
        driver,
        load.RECORDS,
        record_rows(data.records),
        what="source records",
        progress=progress,
        database=database,
    )
    load.load_rows(
        driver,
        load.PERSONS,
        person_rows(persons),
        what="persons",
        progress=progress,
        database=database,
    )
    removed = load.prune_orphans(driver, database)
    return PipelineResult(
        lines=data.lines,
        records=len(data.records),
        persons=len(persons),
        quarantined=tuple(data.quarantined),
        removed_persons=removed,
        unmapped=data.unmapped,
        touchpoint_rows=dict(data.touchpoint_rows),
    )


def reference_rows(data: Ingested) -> dict[str, list[dict[str, Any]]]:
    """Reference CSV rows shaped for ``graph.load.REFERENCE``, in dependency order."""
    ref = data.reference

    def blank(v: str | None) -> str | None:
        return v or None

    return {
        "countries": [
            {"code": r["code"], "name": r.get("name"), "region": blank(r.get("region"))}
            for r in ref.get("countries", [])
        ],
        "dealers": [
            {
                "code": r["code"],
                "name": r.get("name"),
                "country": r["country"],
                "kind": blank(r.get("kind")),
            }
            for r in ref.get("dealers", [])
        ],
        "clubs": [
            {"code": r["code"], "name": r.get("name"), "dealer": r["dealer"]}
            for r in ref.get("clubs", [])
        ],
        "models": [
            {
                "code": r["code"],
                "name": r.get("name"),
                "family": blank(r.get("family")),
                "limitedEdition": bool(r.get("limited_units")),
                "limitedUnits": int(r["limited_units"])
                if r.get("limited_units")
                else None,
            }
            for r in ref.get("models", [])
        ],
        "events": [
            {
                "id": r["id"],
                "type": r.get("type"),
                "name": r.get("name"),
                "start": r["start"],
                "capacity": int(r["capacity"]) if r.get("capacity") else None,
                "dealer": blank(r.get("dealer")),
            }
            for r in ref.get("events", [])
        ],
    }


def record_rows(records: list[SourceRecord]) -> list[dict[str, Any]]:
    return [
        {
            "source": r.source,
            "sourceId": r.source_id,
            "email": r.email_key,
            "phone": r.phone_key,
            "props": {
                "givenName": r.first_name,
                "familyName": r.last_name,
                "email": r.email,
                "phone": r.phone,
                "country": r.country,
                "updatedAt": r.updated_at,
                "preferredDealer": r.preferred_dealer,
                **dict(r.attributes),
            },
        }
        for r in records
    ]


def person_rows(persons: list[exact.Person]) -> list[dict[str, Any]]:
    rows = []
    for p in persons:
        names = {n for r in p.records for n in (r.first_name, r.last_name) if n}
        names |= {n for n in (p.given_name, p.family_name) if n}
        rows.append(
            {
                "id": p.id,
                "props": {
                    "givenName": p.given_name,
                    "familyName": p.family_name,
                    "displayName": p.display_name,
                    "country": p.country,
                    "emails": list(p.emails),
                    "phones": list(p.phones),
                    "searchText": search_text([*sorted(names), *p.emails, *p.phones]),
                },
                "preferredDealer": p.preferred_dealer,
                "links": [
                    {
                        "source": link.record[0],
                        "sourceId": link.record[1],
                        "rule": link.rule,
                        "ruleset": exact.RULESET,
                        "matchedSource": link.matched[0] if link.matched else None,
                        "matchedSourceId": link.matched[1] if link.matched else None,
                        "value": link.value,
                    }
                    for link in p.links
                ],
                "vehicles": [
                    {
                        "vin": v.vin,
                        "model": v.model,
                        "certification": v.certification,
                        "since": v.since,
                    }
                    for v in p.vehicles
                ],
                "clubs": [
                    {
                        "club": c.club,
                        "memberNo": c.member_no,
                        "since": c.since,
                        "status": c.status,
                    }
                    for c in p.clubs
                ],
            }
        )
    return rows
