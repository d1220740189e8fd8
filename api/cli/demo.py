"""``c360 demo``: Neo4j -> demo data -> identity resolution -> graph -> GraphQL, in one command."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from api.cli.load import run_load
from api.cli.ontology_check import OntologyOption
from api.cli.output import ProgressPrinter, say
from api.cli.serve import run_server
from graph.connection import Neo4jSettings, connect
from graph.cypher.customer import longest_journey, most_linked_customer, top_referrer
from graph.errors import C360Error
from graph.server import ManagedNeo4j, default_home
from linkage.generate.run import generate
from ontology.model import load as load_ontology


def demo(
    port: Annotated[
        int, typer.Option(help="HTTP port of the GraphQL API", min=1, max=65535)
    ] = 8000,
    people: Annotated[
        int, typer.Option(help="People to generate for the demo", min=1)
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Generator seed")] = 7,
    keep_neo4j: Annotated[
        bool,
        typer.Option(
            "--keep-neo4j", help="Leave the managed Neo4j running after Ctrl-C"
        ),
    ] = False,
    ontology: OntologyOption = None,
) -> None:
    """Run the whole service on the default setup and serve GraphiQL until Ctrl-C."""
    model = load_ontology(ontology)
    external = Neo4jSettings.from_env()
    managed = None if external else ManagedNeo4j()
    started_here = False
    if managed is not None and managed.settings() is None:
        say("step 1/3: starting the managed Neo4j (first run also fetches its jars)")
        managed.start(say=say)
        started_here = True
    else:
        say("step 1/3: using the running Neo4j")
    try:
        say(
            f"step 2/3: generating {people} people (seed {seed}), resolving identities, writing the graph"
        )
        data = demo_data_dir()
        shutil.rmtree(data, ignore_errors=True)
        generated = generate(people, seed, data, progress=ProgressPrinter())
        result = run_load(
            generated.folder / "sources.toml",
            ontology,
            quarantine=generated.folder / "quarantine.jsonl",
        )
        settings = external or (managed.settings() if managed else None)
        if settings is None:
            raise C360Error("the managed Neo4j stopped during the demo; see its log")
        say("step 3/3: serving GraphQL")
        password_hint = (
            "NEO4J_PASSWORD" if external else f"the password in {managed.password_path}"  # type: ignore[union-attr]
        )
        examples = "\n".join(
            f"  {n}. {q}" for n, q in enumerate(_examples(settings), 1)
        )
        run_server(
            settings,
            "127.0.0.1",
            port,
            lambda: say(
                f"ready: {result.persons} customers. Paste into GraphiQL:\n{examples}\n"
                f"GraphiQL: http://127.0.0.1:{port}/graphql | Cypher: {settings.uri} "
                f"(cypher-shell -a {settings.uri} -u {settings.user}, or Neo4j Browser; "
                f"{password_hint}; queries in docs/cypher-cookbook.md) | Ctrl-C stops"
            ),
            model,
        )
    finally:
        if started_here and not keep_neo4j and managed is not None:
            managed.stop()
            say("stopped the managed Neo4j this demo started")


def demo_data_dir() -> Path:
    """Generated demo data lives beside the managed Neo4j's home (``$C360_HOME``)."""
    return default_home().parent / "demo-data"


def _examples(settings: Neo4jSettings) -> list[str]:
    """Three queries to paste into GraphiQL: the customer seen in most systems, the
    longest journey, and a referral tree (or, without referrals, NPS by dealer)."""
    driver = connect(settings)
    try:
        top = most_linked_customer(driver, settings.database)
        busiest = longest_journey(driver, settings.database)
        referrer = top_referrer(driver, settings.database)
    finally:
        driver.close()
    if top is None:
        return ['{ searchCustomers(text: "a") { id displayName } }']
    out = [
        f'{{ customer(id: "{top["id"]}") {{ displayName emails sourceRecords {{ rule node {{ source sourceId }} }} '
        f"owns {{ certificationStatus node {{ vin }} }} }} }}  ({top['name']}, {top['records']} source records)"
    ]
    if busiest is not None:
        out.append(
            f'{{ customer(id: "{busiest}") {{ displayName had(first: 20) {{ __typename at journeyStage '
            "channel atDealer { code } ... on Quotation { outcome forModel { code } } "
            "... on SurveyResponse { score checkpoint } } } }  (the longest journey)"
        )
    out.append(
        f'{{ referralTree(customerId: "{referrer}", maxDepth: 3) {{ depth mechanism converted '
        "referee { displayName } } }  (the top referrer)"
        if referrer
        else "{ npsSummary(by: DEALER, first: 5) { key responses nps } }"
    )
    return out
