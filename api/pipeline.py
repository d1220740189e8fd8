"""The main job, end to end: read -> validate/quarantine -> resolve -> load into Neo4j.

Lives in ``api`` because it is the one place that chains ``linkage`` output into ``graph``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j

from graph import load, schema
from graph.cypher.customer import search_text
from linkage import exact
from linkage.records import DEMO_DIR, Quarantined, SourceRecord, read_records


@dataclass(frozen=True)
class PipelineResult:
    lines: int
    records: int
    persons: int
    quarantined: tuple[Quarantined, ...]
    removed_persons: int

    @property
    def consolidation_rate(self) -> float:
        """1 - unified persons / source records (domain brief §8)."""
        return 1 - self.persons / self.records if self.records else 0.0


def run(
    driver: neo4j.Driver,
    records_path: Path = DEMO_DIR / "records.jsonl",
    reference_path: Path = DEMO_DIR / "reference.json",
    progress: load.Progress | None = None,
    database: str = "neo4j",
) -> PipelineResult:
    """Load reference data and records, resolve them, write the graph. Idempotent."""
    read = read_records(records_path)
    persons = exact.resolve(read.records)
    schema.apply_schema(driver, database)
    reference = json.loads(reference_path.read_text(encoding="utf-8"))
    for kind, query in load.REFERENCE.items():
        load.load_rows(
            driver,
            query,
            reference.get(kind, []),
            what=kind,
            progress=progress,
            database=database,
        )
    load.load_rows(
        driver,
        load.RECORDS,
        record_rows(read.records),
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
        lines=read.lines,
        records=len(read.records),
        persons=len(persons),
        quarantined=tuple(read.quarantined),
        removed_persons=removed,
    )


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
            },
        }
        for r in records
    ]


def person_rows(persons: list[exact.Person]) -> list[dict[str, Any]]:
    rows = []
    for p in persons:
        names = {n for r in p.records for n in (r.first_name, r.last_name) if n}
        names |= {n for n in (p.given_name, p.family_name) if n}
        search = search_text([*sorted(names), *p.emails, *p.phones])
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
                    "searchText": search,
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
