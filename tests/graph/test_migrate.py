"""``ontology migrate``: versioned schema migrations against a real Neo4j."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from graph.connection import Neo4jSettings
from graph.migrate import MigrationRefused, apply, plan
from ontology.model import DEFAULT_PATH, Ontology, load
from ontology.model import default as default_ontology
from ontology.neo4j_schema import schema_items, statements
from tests.conftest import cli_env, run_cli

pytestmark = pytest.mark.neo4j

WORKSHOP = """
c360:Workshop a owl:Class ;
    rdfs:label "Workshop" ; rdfs:comment "A service workshop of a dealer." ;
    owl:hasKey ( c360:workshopCode ) .
c360:workshopCode a owl:DatatypeProperty ; rdfs:range xsd:string ; rdfs:domain c360:Workshop ;
    rdfs:label "workshop code" ; rdfs:comment "The brand's workshop code." .
c360:WorkshopShape a sh:NodeShape ; sh:targetClass c360:Workshop ;
    sh:property [ sh:path c360:workshopCode ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ] .
"""
CURRENT = (
    default_ontology().version
)  # the versions below are relative to the file's own


def _bump(minor: int) -> str:
    major, mid, _ = CURRENT.split(".")
    return f"{major}.{int(mid) + minor}.0"


V0, V1, V2 = CURRENT, _bump(1), _bump(2)
VERSION = f'owl:versionInfo "{V0}"'
WORKSHOP_CONSTRAINT = "workshop_workshop_code"
FOREIGN = "someone_elses_constraint"


def edited(
    tmp_path: Path, version: str, *replacements: tuple[str, str], append: str = ""
) -> Ontology:
    """The project's ontology at ``version``, with each text replaced once (it must be there)."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    for old, new in ((VERSION, f'owl:versionInfo "{version}"'), *replacements):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / f"customer360-{version}-{len(list(tmp_path.iterdir()))}.ttl"
    path.write_text(text + append, encoding="utf-8")
    return load(path)


def schema_names(driver: neo4j.Driver, database: str) -> set[str]:
    rows, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name", database_=database)
    indexes, _, _ = driver.execute_query("SHOW INDEXES YIELD name", database_=database)
    return {r["name"] for r in [*rows, *indexes]}


def versions(driver: neo4j.Driver, database: str) -> list[str]:
    rows, _, _ = driver.execute_query(
        "MATCH (v:SchemaVersion) RETURN v.version AS version ORDER BY v.at",
        database_=database,
    )
    return [r["version"] for r in rows]


def drop_ours(driver: neo4j.Driver, database: str) -> None:
    constraints, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name", database_=database
    )
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, owningConstraint WHERE owningConstraint IS NULL",
        database_=database,
    )
    ours = {i.name for i in schema_items(load())} | {WORKSHOP_CONSTRAINT, FOREIGN}
    for what, rows in (("CONSTRAINT", constraints), ("INDEX", indexes)):
        for name in {r["name"] for r in rows} & ours:
            driver.execute_query(f"DROP {what} {name} IF EXISTS", database_=database)


@pytest.fixture
def graph(
    clean_graph: neo4j.Driver, neo4j_settings: Neo4jSettings
) -> Iterator[neo4j.Driver]:
    """An empty graph without the constraints and indexes these tests create."""
    drop_ours(clean_graph, neo4j_settings.database)
    yield clean_graph
    drop_ours(clean_graph, neo4j_settings.database)


@pytest.fixture
def db(neo4j_settings: Neo4jSettings) -> str:
    return neo4j_settings.database


def migrate(
    driver: neo4j.Driver, model: Ontology, db: str, force: bool = False
) -> None:
    apply(driver, plan(driver, model, db), force, db)


def test_the_first_migration_creates_every_constraint_and_records_the_version(
    graph: neo4j.Driver, db: str
) -> None:
    model = load()
    first = plan(graph, model, db)
    assert (first.previous, first.changes, first.drops, first.record) == (
        None,
        (),
        (),
        True,
    )
    assert set(first.creates) == set(statements(model))
    apply(graph, first, database=db)
    assert {i.name for i in schema_items(model)} <= schema_names(graph, db)
    rows, _, _ = graph.execute_query(
        "MATCH (v:SchemaVersion) RETURN v.version AS version, v.at AS at, "
        "v.statements AS statements, v.ontology AS ontology",
        database_=db,
    )
    (row,) = rows
    assert row["version"] == model.version == V0
    assert isinstance(row["at"], neo4j.time.DateTime)
    assert row["statements"] == list(first.creates)
    assert row["ontology"] == DEFAULT_PATH.read_text(encoding="utf-8")


def test_migrating_again_is_a_no_op(graph: neo4j.Driver, db: str) -> None:
    migrate(graph, load(), db)
    before = schema_names(graph, db)
    again = plan(graph, load(), db)
    assert again.up_to_date
    assert (again.changes, again.statements) == ((), ())
    apply(graph, again, database=db)
    assert versions(graph, db) == [V0]
    assert schema_names(graph, db) == before


def test_a_new_class_with_a_bumped_version_creates_its_constraint(
    graph: neo4j.Driver, db: str, tmp_path: Path
) -> None:
    migrate(graph, load(), db)
    step = plan(graph, edited(tmp_path, V1, append=WORKSHOP), db)
    assert step.previous == V0
    assert ("class_added", "Workshop") in [(c.kind, c.subject) for c in step.changes]
    assert step.drops == ()
    assert [s.split()[2] for s in step.creates] == [WORKSHOP_CONSTRAINT]
    apply(graph, step, database=db)
    assert WORKSHOP_CONSTRAINT in schema_names(graph, db)
    assert versions(graph, db) == [V0, V1]


def test_the_same_version_with_another_ontology_is_refused(
    graph: neo4j.Driver, db: str, tmp_path: Path
) -> None:
    migrate(graph, load(), db)
    with pytest.raises(
        MigrationRefused, match=rf"version {re.escape(V0)} .* bump owl:versionInfo"
    ):
        migrate(graph, edited(tmp_path, V0, append=WORKSHOP), db, force=True)
    assert WORKSHOP_CONSTRAINT not in schema_names(graph, db)


def test_removing_a_class_that_has_nodes_needs_force(
    graph: neo4j.Driver, db: str, tmp_path: Path
) -> None:
    migrate(graph, load(), db)
    migrate(graph, edited(tmp_path, V1, append=WORKSHOP), db)
    graph.execute_query("CREATE (:Workshop {workshopCode: 'W-1'})", database_=db)
    back = edited(tmp_path, V2)
    step = plan(graph, back, db)
    assert [(c.kind, c.subject, c.breaking) for c in step.changes] == [
        ("class_removed", "Workshop", True),
        ("constraint_removed", WORKSHOP_CONSTRAINT, False),
    ]
    assert step.drops == (f"DROP CONSTRAINT {WORKSHOP_CONSTRAINT} IF EXISTS",)
    assert step.data_migrations == (
        "needs a data migration: 1 node(s) labelled Workshop, a class the ontology no longer has",
    )
    with pytest.raises(
        MigrationRefused, match="needs --force: DROP CONSTRAINT workshop_workshop_code"
    ):
        apply(graph, step, database=db)
    assert WORKSHOP_CONSTRAINT in schema_names(graph, db)
    assert versions(graph, db) == [V0, V1]

    apply(graph, step, force=True, database=db)
    assert WORKSHOP_CONSTRAINT not in schema_names(graph, db)
    assert versions(graph, db) == [V0, V1, V2]
    rows, _, _ = graph.execute_query(
        "MATCH (w:Workshop) RETURN count(w) AS c", database_=db
    )
    assert rows[0]["c"] == 1  # the data stays: data migrations are the operator's


def test_removed_properties_and_relationships_with_data_need_a_data_migration(
    graph: neo4j.Driver, db: str, tmp_path: Path
) -> None:
    migrate(graph, load(), db)
    graph.execute_query(
        "CREATE (e:Event {id: 'e1', capacity: 40})-[:HOSTED_BY]->(:Dealer {code: 'D1'}), "
        "(:Person {id: 'p1'})-[:OWNS {coOwner: true}]->(:Vehicle {vin: 'V1'})",
        database_=db,
    )
    slimmer = edited(
        tmp_path,
        V1,
        (
            "c360:capacity a owl:DatatypeProperty ; rdfs:range xsd:integer ; rdfs:domain c360:Event ;\n"
            '    rdfs:label "capacity" ; rdfs:comment "Maximum attendees." ; '
            "owl:equivalentProperty schema:maximumAttendeeCapacity .\n",
            "",
        ),
        (
            "        [ sh:path c360:capacity ; sh:datatype xsd:integer ; sh:maxCount 1 ; sh:minInclusive 1 ] ,\n",
            "",
        ),
        (
            "c360:hostedBy a owl:ObjectProperty ; rdfs:domain c360:Event ; rdfs:range c360:Dealer ;\n"
            '    rdfs:label "hosted by" ; rdfs:comment "The dealer hosting the event, if any." .\n',
            "",
        ),
        (
            "        [ sh:path c360:hostedBy ; sh:class c360:Dealer ; sh:maxCount 1 ] ,\n",
            "",
        ),
        (
            "c360:coOwner a owl:DatatypeProperty ; rdfs:range xsd:boolean ; rdfs:domain c360:Ownership ;\n"
            '    rdfs:label "co-owner" ; rdfs:comment "A second owner of the same vehicle (household)." .\n',
            "",
        ),
        (
            "        [ sh:path c360:coOwner ; sh:datatype xsd:boolean ; sh:maxCount 1 ] ,\n",
            "",
        ),
    )
    step = plan(graph, slimmer, db)
    assert step.drops == ()
    assert step.data_migrations == (
        "needs a data migration: 1 Event node(s) still have the removed property capacity",
        "needs a data migration: 1 relationship(s) of the removed type HOSTED_BY",
        "needs a data migration: 1 OWNS relationship(s) still have the removed property coOwner",
    )
    with pytest.raises(MigrationRefused, match="needs --force: needs a data migration"):
        apply(graph, step, database=db)
    apply(graph, step, force=True, database=db)
    assert versions(graph, db) == [V0, V1]


def test_constraints_we_did_not_derive_are_never_dropped(
    graph: neo4j.Driver, db: str
) -> None:
    graph.execute_query(
        f"CREATE CONSTRAINT {FOREIGN} FOR (n:Other) REQUIRE n.x IS UNIQUE", database_=db
    )
    migrate(graph, load(), db)
    assert plan(graph, load(), db).up_to_date
    assert FOREIGN in schema_names(graph, db)


def test_dry_run_changes_nothing(
    graph: neo4j.Driver, db: str, neo4j_settings: Neo4jSettings, tmp_path: Path
) -> None:
    env = cli_env(neo4j_settings)
    before = schema_names(graph, db)
    dry = run_cli(
        "ontology", "migrate", "--ontology", str(DEFAULT_PATH), "--dry-run", env=env
    )
    assert dry.returncode == 0, dry.stderr
    assert set(statements(load())) <= set(dry.stdout.splitlines())
    assert "dry run: nothing changed" in dry.stderr
    assert schema_names(graph, db) == before
    assert versions(graph, db) == []

    done = run_cli("ontology", "migrate", "--ontology", str(DEFAULT_PATH), env=env)
    assert done.returncode == 0, done.stderr
    assert versions(graph, db) == [V0]
    again = run_cli("ontology", "migrate", "--ontology", str(DEFAULT_PATH), env=env)
    assert again.returncode == 0, again.stderr
    assert f"schema version {V0} is up to date" in again.stderr
    assert again.stdout == ""
