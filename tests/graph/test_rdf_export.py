"""The RDF export speaks the ontology: SHACL-valid, typed literals, PII-free on request,
and a class added to the Turtle exports with no Python change."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import neo4j
import pyshacl
import pytest
import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.compare import isomorphic

from graph.connection import Neo4jSettings
from graph.rdf_export import ID_BASE, UnknownCustomer, export_rdf, serialize
from ontology.model import C360, Ontology, default, load
from tests.conftest import cli_env, extended_ontology, run_cli

PERSON_ID = "6f1c2a9e-4b7d-4c3e-9a51-0d2e8b7c4f10"
OTHER_ID = "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
VIN = "ZVLS950A7RM012345"

GRAPH = """
CREATE (p:Person {id: $person, displayName: 'Giulia Bellini', givenName: 'Giulia',
                  emails: ['giulia@example.com', 'g.bellini@example.org'], country: 'IT'})
CREATE (s:SourceRecord {source: 'owner_app', sourceId: 'u-5f2c'})
CREATE (s)-[:RESOLVED_TO {rule: 'seed', rulesetVersion: 'exact-v0', actor: 'auto'}]->(p)
CREATE (e:Email:ContactPoint {value: 'giulia@example.com'})
CREATE (s)-[:HAS_CONTACT_POINT]->(e)
CREATE (v:Vehicle {vin: $vin})-[:OF_MODEL]->(:Model {code: 'STR950', name: 'Strale 950', limitedEdition: false})
CREATE (p)-[:OWNS {certificationStatus: 'certified', ownedFrom: date('2024-06-11')}]->(v)
CREATE (d:Dealer {code: 'IT-003', name: 'Moto Bellini'})-[:IN_COUNTRY]->(:Country {code: 'IT', name: 'Italy'})
CREATE (p)-[:PREFERS_DEALER]->(d)
CREATE (o:Person {id: $other, displayName: 'Henrik Dahl'})-[:PREFERS_DEALER]->(d)
CREATE (:Scratch {note: 'not in the ontology'})-[:SCRATCHED]->(p)
"""


PERSON = URIRef(f"{ID_BASE}Person/{PERSON_ID}")
OTHER = URIRef(f"{ID_BASE}Person/{OTHER_ID}")
VEHICLE = URIRef(f"{ID_BASE}Vehicle/{VIN}")


@pytest.fixture
def graph_db(clean_graph: neo4j.Driver) -> neo4j.Driver:
    clean_graph.execute_query(GRAPH, person=PERSON_ID, other=OTHER_ID, vin=VIN)
    return clean_graph


def _conforms(data: rdflib.Graph, model: Ontology) -> None:
    conforms, _, text = pyshacl.validate(
        data, shacl_graph=model.graph, ont_graph=model.graph, inference="none"
    )
    assert conforms, text


@pytest.mark.neo4j
def test_full_export_conforms_and_round_trips(graph_db: neo4j.Driver) -> None:
    model = default()
    skipped: Counter[str] = Counter()
    data = export_rdf(graph_db, model, skipped=skipped)
    _conforms(data, model)
    for fmt in ("turtle", "json-ld"):
        back = rdflib.Graph().parse(data=serialize(data, fmt), format=fmt)
        assert isomorphic(back, data), fmt
    assert (PERSON, RDF.type, C360.Person) in data
    assert (PERSON, C360.owns, VEHICLE) in data
    assert set(data.objects(PERSON, C360.emails)) == {
        Literal("giulia@example.com"),
        Literal("g.bellini@example.org"),
    }
    email = URIRef(f"{ID_BASE}Email/giulia%40example.com")
    assert set(data.objects(email, RDF.type)) == {C360.Email}  # the most specific class
    model_iri = URIRef(f"{ID_BASE}Model/STR950")
    assert (model_iri, C360.limitedEdition, Literal(False)) in data
    assert skipped == Counter(
        {
            "label Scratch": 1,
            "property Person.country": 1,
            "relationship type SCRATCHED": 1,
        }
    )


@pytest.mark.neo4j
def test_ownership_is_reified_with_typed_properties(graph_db: neo4j.Driver) -> None:
    data = export_rdf(graph_db, default())
    ownerships = [
        s
        for s in data.subjects(RDF.type, C360.Ownership)
        if (s, RDF.subject, PERSON) in data
    ]
    assert len(ownerships) == 1
    own = ownerships[0]
    assert (own, RDF.predicate, C360.owns) in data
    assert (own, RDF.object, VEHICLE) in data
    owned_from = data.value(own, C360.ownedFrom)
    assert isinstance(owned_from, Literal)
    assert owned_from.datatype == rdflib.XSD.date
    assert owned_from.toPython() == datetime.date(2024, 6, 11)
    assert data.value(own, C360.certificationStatus) == Literal("certified")


@pytest.mark.neo4j
def test_small_batches_give_the_same_graph(graph_db: neo4j.Driver) -> None:
    model = default()
    assert isomorphic(
        export_rdf(graph_db, model, batch_size=1), export_rdf(graph_db, model)
    )


@pytest.mark.neo4j
def test_export_without_pii(graph_db: neo4j.Driver) -> None:
    model = default()
    data = export_rdf(graph_db, model, include_pii=False)
    predicates = set(data.predicates())
    for name in ("givenName", "emails", "displayName", "value", "matchedValue"):
        assert C360[name] not in predicates, name
    assert not any("@" in str(term) for triple in data for term in triple)
    assert (PERSON, C360.owns, VEHICLE) in data  # non-personal data stays
    assert (VEHICLE, C360.vin, Literal(VIN)) in data


@pytest.mark.neo4j
def test_customer_export_is_the_neighbourhood(graph_db: neo4j.Driver) -> None:
    data = export_rdf(graph_db, default(), customer_id=PERSON_ID)
    assert (PERSON, C360.owns, VEHICLE) in data
    assert (VEHICLE, RDF.type, C360.Vehicle) in data
    record = URIRef(f"{ID_BASE}SourceRecord/owner_app/u-5f2c")
    email = URIRef(f"{ID_BASE}Email/giulia%40example.com")
    assert (record, C360.resolvedTo, PERSON) in data
    assert (record, C360.hasContactPoint, email) in data
    dealer = URIRef(f"{ID_BASE}Dealer/IT-003")
    assert (PERSON, C360.prefersDealer, dealer) in data
    subjects = set(data.subjects())
    assert OTHER not in subjects  # shares the dealer: two hops away
    assert URIRef(f"{ID_BASE}Model/STR950") not in subjects
    assert URIRef(f"{ID_BASE}Country/IT") not in set(data.all_nodes())


@pytest.mark.neo4j
def test_unknown_customer_is_a_clear_error(graph_db: neo4j.Driver) -> None:
    with pytest.raises(
        UnknownCustomer, match="no customer \\(Person\\) with id 'nobody'"
    ):
        export_rdf(graph_db, default(), customer_id="nobody")


@pytest.mark.neo4j
def test_a_class_added_to_the_ontology_exports(
    clean_graph: neo4j.Driver, tmp_path: Path
) -> None:
    model = load(extended_ontology(tmp_path))
    clean_graph.execute_query(
        "CREATE (:Accessory {accessoryCode: 'ACC-0001'})-[:FITS_MODEL]->"
        "(:Model {code: 'STR950', name: 'Strale 950', limitedEdition: false})"
    )
    skipped: Counter[str] = Counter()
    data = export_rdf(clean_graph, model, skipped=skipped)
    accessory = URIRef(f"{ID_BASE}Accessory/ACC-0001")
    assert (accessory, RDF.type, C360.Accessory) in data
    assert (accessory, C360.accessoryCode, Literal("ACC-0001")) in data
    assert (accessory, C360.fitsModel, URIRef(f"{ID_BASE}Model/STR950")) in data
    assert not skipped
    _conforms(data, model)


def test_bad_format_is_one_line_exit_2() -> None:
    result = run_cli("export-rdf", "--format", "bogus", env=cli_env(None))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--format" in lines[0] and "bogus" in lines[0]


@pytest.mark.neo4j
def test_cli_writes_a_pseudonymised_customer(
    graph_db: neo4j.Driver, neo4j_settings: Neo4jSettings, tmp_path: Path
) -> None:
    out = tmp_path / "customer.jsonld"
    args = ("export-rdf", "--customer", PERSON_ID, "--format", "json-ld", "--no-pii")
    result = run_cli(*args, "--out", str(out), env=cli_env(neo4j_settings))
    assert result.returncode == 0, result.stderr
    data = rdflib.Graph().parse(out, format="json-ld")
    assert (PERSON, C360.owns, VEHICLE) in data
    assert C360.givenName not in set(data.predicates())
    missing = run_cli("export-rdf", "--customer", "nobody", env=cli_env(neo4j_settings))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1] == (
        "c360: no customer (Person) with id 'nobody'"
    )
