"""Consent on generated data: every web-form checkbox stored as a statement with its
source, the statement in force per channel and purpose recomputed in Python from the
extract, and segments used as audiences exclude exactly the people without consent."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import neo4j
import pytest

from api import incremental, pipeline
from graph.connection import Neo4jSettings
from linkage.settings import default as default_settings
from ontology.model import default as default_ontology
from tests.api.conftest import customer_of, execute_graphql

BOXES = {
    "email_marketing": ("email", "marketing"),
    "sms_marketing": ("sms", "marketing"),
    "profiling": ("any", "profiling"),
}
Statement = tuple[str, str, str, str]  # channel, purpose, status, at


def _stated(data: Path) -> dict[str, list[Statement]]:
    """Each web form ("web_form/id") -> its statements, read straight from the extract."""
    out = {}
    for line in (data / "web_forms.jsonl").read_text(encoding="utf-8").splitlines():
        form = json.loads(line)
        out[f"web_form/{form['submission_id']}"] = [
            (*BOXES[box], "granted" if value else "denied", form["submitted_at"])
            for box, value in form["consent"].items()
        ]
    return out


def _in_force(statements: list[Statement]) -> dict[tuple[str, str], Statement]:
    """The latest statement per channel and purpose; on a tie, a refusal wins."""
    best: dict[tuple[str, str], Statement] = {}
    for s in statements:
        cur = best.get((s[0], s[1]))
        if cur is None or (s[3], s[2] != "granted") > (cur[3], cur[2] != "granted"):
            best[(s[0], s[1])] = s
    return best


@pytest.fixture(scope="module")
def people(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
) -> dict[str, list[Statement]]:
    """Each customer -> every statement its web forms made."""
    owner = customer_of(driver, neo4j_settings.database)
    out: dict[str, list[Statement]] = defaultdict(list)
    for key, statements in _stated(data).items():
        out[owner[key]] += statements
    return dict(out)


def test_every_checkbox_is_a_statement_of_its_record(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    data: Path,
) -> None:
    rows, _, _ = driver.execute_query(
        """
        MATCH (s:SourceRecord)-[:STATED_CONSENT]->(c:Consent)
        RETURN s.source + '/' + s.sourceId AS key, c.channel AS channel,
               c.purpose AS purpose, c.consentStatus AS status, toString(c.at) AS at,
               [(cp:ContactPoint)-[:HAS_CONSENT]->(c) | cp.value] AS about,
               [(s)-[:HAS_CONTACT_POINT]->(e:Email) | e.value] AS emails,
               [(s)-[:HAS_CONTACT_POINT]->(p:Phone) | p.value] AS phones
        """,
        database_=neo4j_settings.database,
    )
    got: dict[str, list[Statement]] = defaultdict(list)
    for r in rows:
        got[r["key"]].append((r["channel"], r["purpose"], r["status"], r["at"]))
        # An email or SMS statement is about the contact point the form gave, if any.
        about = {"email": r["emails"], "sms": r["phones"], "any": []}[r["channel"]]
        assert r["about"] == about
    expected = _stated(data)
    assert {k: sorted(v) for k, v in got.items()} == {
        k: sorted(v) for k, v in expected.items()
    }


def test_the_latest_statement_is_in_force(
    loaded: pipeline.PipelineResult,
    neo4j_settings: Neo4jSettings,
    people: dict[str, list[Statement]],
) -> None:
    query = """query($id: ID!) { consentInForce(customerId: $id) {
        channel purpose status at source sourceId statements } }"""
    several = [p for p, s in sorted(people.items()) if len(s) > len(BOXES)]
    assert len(several) >= 10  # people who changed their minds are in the data
    for person in several[:40] + sorted(people)[:20]:
        result = execute_graphql(neo4j_settings, query, {"id": person})
        assert result.errors is None
        got = {
            (c["channel"].lower(), c["purpose"].lower()): (
                c["channel"].lower(),
                c["purpose"].lower(),
                c["status"].lower(),
                c["at"],
            )
            for c in result.data["consentInForce"]
        }
        assert got == _in_force(people[person]), person
        for c in result.data["consentInForce"]:
            assert c["source"] == "web_form" and c["sourceId"].startswith("WF-")
            assert c["statements"] == sum(
                1
                for s in people[person]
                if (s[0], s[1]) == (c["channel"].lower(), c["purpose"].lower())
            )


def _members(driver: neo4j.Driver, db: str, segment: str) -> set[str]:
    rows, _, _ = driver.execute_query(
        "MATCH (:Segment {id: $s})<-[m:IN_SEGMENT]-(p:Person) WHERE m.until IS NULL "
        "RETURN p.id AS id",
        s=segment,
        database_=db,
    )
    return {r["id"] for r in rows}


AUDIENCE = """query($s: ID!, $p: Purpose!, $c: Channel!, $after: String) {
  audience(segmentId: $s, purpose: $p, channel: $c, first: 100, after: $after) {
    segmentId members eligible excluded
    customers { totalCount pageInfo { hasNextPage endCursor } nodes { id } }
  }
}"""


@pytest.mark.parametrize(
    ("segment", "purpose", "channel"),
    [
        ("club-prospects", "marketing", "email"),
        ("owners-without-app", "marketing", "sms"),
        ("service-due", "profiling", "push"),
    ],
)
def test_an_audience_excludes_exactly_the_people_without_consent(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    people: dict[str, list[Statement]],
    segment: str,
    purpose: str,
    channel: str,
) -> None:
    members = _members(driver, neo4j_settings.database, segment)
    allowed = set()
    for person in members:
        said = [
            s
            for s in people.get(person, [])
            if s[1] == purpose and s[0] in {channel, "any"}
        ]
        latest = _in_force([("x", *s[1:]) for s in said]).get(("x", purpose))
        if latest and latest[2] == "granted":
            allowed.add(person)
    assert members and allowed and allowed != members  # the test can tell them apart
    seen: list[str] = []
    after = None
    while True:
        result = execute_graphql(
            neo4j_settings,
            AUDIENCE,
            {"s": segment, "p": purpose.upper(), "c": channel.upper(), "after": after},
        )
        assert result.errors is None
        a = result.data["audience"]
        assert (a["members"], a["eligible"], a["excluded"]) == (
            len(members),
            len(allowed),
            len(members) - len(allowed),
        )
        assert a["customers"]["totalCount"] == len(allowed)
        seen += [n["id"] for n in a["customers"]["nodes"]]
        if not a["customers"]["pageInfo"]["hasNextPage"]:
            break
        after = a["customers"]["pageInfo"]["endCursor"]
    assert seen == sorted(allowed)


def test_serving_a_customer_needs_no_consent_and_unknown_segments_are_null(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
) -> None:
    members = _members(driver, neo4j_settings.database, "service-due")
    result = execute_graphql(
        neo4j_settings,
        """{ a: audience(segmentId: "service-due", purpose: RELATIONSHIP, channel: SMS) {
               members eligible excluded customers { totalCount } }
             b: audience(segmentId: "no-such-segment", purpose: MARKETING, channel: EMAIL) {
               members } }""",
    )
    assert result.errors is None
    assert result.data["a"] == {
        "members": len(members),
        "eligible": len(members),
        "excluded": 0,
        "customers": {"totalCount": len(members)},
    }
    assert result.data["b"] is None


def test_a_later_withdrawal_takes_effect_at_once(
    loaded: pipeline.PipelineResult,
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    people: dict[str, list[Statement]],
    data: Path,
    tmp_path: Path,
) -> None:
    """The person fills in the form again and unticks everything: an incremental load of
    that one submission puts the refusal in force and keeps the earlier statements as
    history. (Last in the module: it adds a record.)"""
    owner = customer_of(driver, neo4j_settings.database)
    forms = [json.loads(x) for x in (data / "web_forms.jsonl").read_text().splitlines()]
    form = next(
        f
        for f in forms
        if f["consent"]["email_marketing"]
        and f["email"]
        and _in_force(people[owner[f"web_form/{f['submission_id']}"]])[
            ("email", "marketing")
        ][2]
        == "granted"
    )
    person = owner[f"web_form/{form['submission_id']}"]
    again = {
        **form,
        "submission_id": form["submission_id"] + "-again",
        "submitted_at": "2026-12-01T09:00:00",
        "consent": dict.fromkeys(form["consent"], False),
    }
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "web_forms.jsonl").write_text(json.dumps(again) + "\n", encoding="utf-8")
    text = (data / "sources.toml").read_text(encoding="utf-8")
    web = text[text.index('[[source]]\nname = "web_form"') :]
    web = web[: web.find("\n[[source]]", 1) + 1 or None]
    (delta / "sources.toml").write_text("version = 1\n\n" + web, encoding="utf-8")

    result = incremental.run(
        driver,
        delta / "sources.toml",
        default_ontology(),
        default_settings(),
        neo4j_settings.database,
    )
    assert result.records == 1
    assert (
        customer_of(driver, neo4j_settings.database)[
            f"web_form/{again['submission_id']}"
        ]
        == person
    )
    query = """query($id: ID!) { consentInForce(customerId: $id) {
        channel purpose status at statements } }"""
    got = execute_graphql(neo4j_settings, query, {"id": person}).data["consentInForce"]
    in_force = {(c["channel"], c["purpose"]): c for c in got}
    for channel, purpose in (
        ("EMAIL", "MARKETING"),
        ("SMS", "MARKETING"),
        ("ANY", "PROFILING"),
    ):
        c = in_force[(channel, purpose)]
        assert (c["status"], c["at"]) == ("DENIED", "2026-12-01T09:00:00")
        assert c["statements"] == 1 + sum(
            1
            for s in people[person]
            if (s[0], s[1]) == (channel.lower(), purpose.lower())
        )
