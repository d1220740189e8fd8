"""`explanations` on generated data: every machine-computed value of a customer comes
labelled machine-generated, with the stored inputs it was computed from (compared with
plain Cypher) and, per role, masked like any other personal data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import neo4j

from api import pipeline
from api.auth import pseudonymiser
from graph.connection import Neo4jSettings
from graph.scope import Role, Scope
from ontology.graphql import describe
from ontology.model import default as default_ontology
from tests.api.conftest import execute_graphql

QUERY = """query($id: ID!) { customer(id: $id) {
  explanations { field value how machineGenerated inputs { field value description } }
} }"""
PERSON = describe(default_ontology()).type("Person")
DERIVED = {s.name: s.derived_from for s in PERSON.scalars if s.derived_from is not None}


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = value.to_native() if hasattr(value, "to_native") else value
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)


def scored(driver: neo4j.Driver, db: str) -> dict[str, Any]:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE p.clv IS NOT NULL AND p.rfmLabel IS NOT NULL "
        "RETURN properties(p) AS p ORDER BY p.id LIMIT 1",
        database_=db,
    )
    return dict(rows[0]["p"])


def test_every_computed_value_is_explained_by_its_stored_inputs(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    assert {"rfmLabel", "clv", "referralInfluence", "lifecycleStage"} <= set(DERIVED)
    person = scored(driver, neo4j_settings.database)
    out = execute_graphql(neo4j_settings, QUERY, {"id": person["id"]})
    assert out.errors is None
    explained = {e["field"]: e for e in out.data["customer"]["explanations"]}
    assert set(explained) == {f for f in DERIVED if person.get(f) is not None}
    for field, e in explained.items():
        assert e["machineGenerated"] is True and e["how"]
        assert e["value"] == text(person[field]), field
        assert [(i["field"], i["value"]) for i in e["inputs"]] == [
            (i, text(person.get(i))) for i in DERIVED[field] or ()
        ], field
    assert [i["field"] for i in explained["rfmLabel"]["inputs"]][:3] == [
        "rfmRecency",
        "rfmFrequency",
        "rfmMonetary",
    ]


def test_explanations_mask_inputs_a_role_may_not_read(
    loaded: pipeline.PipelineResult, driver: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    """The club role reads for events, which countryCode does not serve: RFM's country
    input comes back as a pseudonym; the analyst (analytics) sees it in clear."""
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[m:MEMBER_OF]->(c:Club) "
        "WHERE p.rfmRecency IS NOT NULL AND p.countryCode IS NOT NULL "
        "AND (m.until IS NULL OR m.until > date()) "
        "RETURN p.id AS id, p.countryCode AS country, c.code AS club ORDER BY id LIMIT 1",
        database_=db,
    )
    row = rows[0]
    mask = pseudonymiser(b"explain test")
    for scope, expected in (
        (Scope(Role.CLUB, club=row["club"], name="club"), mask(row["country"])),
        (Scope(Role.ANALYST, name="bi"), row["country"]),
    ):
        out = execute_graphql(
            neo4j_settings,
            QUERY,
            {"id": row["id"]},
            context={"scope": scope, "pseudonymise": mask},
        )
        assert out.errors is None
        [recency] = [
            e
            for e in out.data["customer"]["explanations"]
            if e["field"] == "rfmRecency"
        ]
        inputs = {i["field"]: i["value"] for i in recency["inputs"]}
        assert inputs["countryCode"] == expected != "", scope.role
