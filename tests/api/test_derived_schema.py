"""The served GraphQL schema comes from the ontology: golden SDL, and a maintainer's change
(a new class and relationships) is served and queryable against the real Neo4j with no code change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import graphql
import neo4j
import pytest
import strawberry

from api.cli.ontology_graphql import sdl
from api.schema import build_schema
from graph import schema as graph_schema
from graph.connection import Neo4jSettings, async_driver
from ontology.model import DEFAULT_PATH, load
from ontology.validate import validators
from tests.conftest import extended_ontology as extended

GOLDEN = Path(__file__).parents[2] / "api" / "schema.graphql"


def test_committed_sdl_matches_the_ontology() -> None:
    """Fails on any unintended change; after an intended one run
    `c360 ontology export-graphql --out api/schema.graphql` and commit the file."""
    assert sdl(DEFAULT_PATH) == GOLDEN.read_text(encoding="utf-8"), (
        "api/schema.graphql is stale: run `./c360 ontology export-graphql --out api/schema.graphql`"
    )
    graphql.build_schema(
        GOLDEN.read_text(encoding="utf-8")
    )  # valid SDL for other tools too


def test_mapping_rules_show_in_the_sdl() -> None:
    schema = graphql.build_schema(GOLDEN.read_text(encoding="utf-8"))
    person = schema.get_type("Person")
    assert isinstance(person, graphql.GraphQLObjectType)
    assert str(person.fields["displayName"].type) == "String!"  # sh:minCount 1
    assert str(person.fields["emails"].type) == "[String!]!"  # no sh:maxCount 1
    assert (
        str(person.fields["owns"].type) == "[Ownership!]!"
    )  # reified relationship -> edges
    assert set(person.fields["owns"].args) == {"where", "first"}
    ownership = schema.get_type("Ownership")
    assert str(ownership.fields["node"].type) == "Vehicle!"  # type: ignore[union-attr]
    assert str(ownership.fields["certificationStatus"].type) == "CertificationStatus"  # type: ignore[union-attr]
    club = schema.get_type("Club")
    assert str(club.fields["affiliatedWith"].type) == "Dealer!"  # type: ignore[union-attr]
    assert "ownedBy" in schema.get_type("Vehicle").fields  # type: ignore[union-attr]  # owl:inverseOf
    status = schema.get_type("MembershipStatus")
    assert set(status.values) == {"ACTIVE", "LAPSED", "SUSPENDED"}  # type: ignore[union-attr]
    query = schema.query_type
    assert query is not None
    assert {"dealer", "dealers", "vehicle", "customer", "searchCustomers"} <= set(
        query.fields
    )
    assert str(query.fields["dealers"].type) == "DealerConnection!"


def _run(settings: Neo4jSettings, schema: strawberry.Schema, query: str) -> Any:
    async def go() -> Any:
        drv = async_driver(settings)
        try:
            return await schema.execute(
                query, context_value={"driver": drv, "database": settings.database}
            )
        finally:
            await drv.close()

    return asyncio.run(go())


@pytest.mark.neo4j
def test_a_new_class_is_constrained_validated_served_and_queryable(
    tmp_path: Path, clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> None:
    model = load(extended(tmp_path))
    graph_schema.apply_schema(clean_graph, model)
    names, _, _ = clean_graph.execute_query(
        "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS n"
    )
    assert "accessory_accessory_code" in names[0]["n"]
    with pytest.raises(neo4j.exceptions.ConstraintError):
        clean_graph.execute_query(
            "CREATE (:Accessory {accessoryCode: 'ACC-0001'}), (:Accessory {accessoryCode: 'ACC-0001'})"
        )

    check = validators(model)["Accessory"]
    good, problems = check.check({"accessoryCode": "ACC-0007", "weightKg": "2.5"})
    assert problems == []
    assert check.check({"accessoryCode": "exhaust"})[1][0].shape == "AccessoryShape"
    clean_graph.execute_query(
        """
        MERGE (m:Model {code: 'S950', name: 'Strale 950', limitedEdition: false})
        CREATE (a:Accessory) SET a = $props
        CREATE (a)-[:FITS_MODEL]->(m)
        CREATE (:Person {id: '11111111-1111-1111-1111-111111111111', displayName: 'Anna Keller'})
               -[:GUEST_OF]->(:Person {id: '22222222-2222-2222-2222-222222222222', displayName: 'Luca Ferraro'})
        """,
        props=good,
    )
    served = build_schema(model)
    assert "type Accessory" in served.as_str()
    assert "type Accessory" not in build_schema(load(DEFAULT_PATH)).as_str()
    result = _run(
        neo4j_settings,
        served,
        """{
          accessory(accessoryCode: "ACC-0007") { accessoryCode weightKg fitsModel { code accessories { accessoryCode } } }
          accessories(where: {weightKg: {gt: 2}}) { totalCount }
          customer(id: "11111111-1111-1111-1111-111111111111") { displayName guestOf { displayName } }
        }""",
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "accessory": {
            "accessoryCode": "ACC-0007",
            "weightKg": 2.5,
            "fitsModel": [
                {"code": "S950", "accessories": [{"accessoryCode": "ACC-0007"}]}
            ],
        },
        "accessories": {"totalCount": 1},
        "customer": {
            "displayName": "Anna Keller",
            "guestOf": [{"displayName": "Luca Ferraro"}],
        },
    }
