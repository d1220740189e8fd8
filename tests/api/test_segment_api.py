"""Segments on generated data: membership as the definitions say (recomputed in Python from
the graph's plain facts), history across refreshes, versions, snapshots, and the GraphQL
fields that page through members and explain one membership."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import neo4j
import pytest

from api import pipeline
from api.segments import scan_by_id
from graph import compile as cq
from graph import segment_compile, segments
from graph.connection import Neo4jSettings
from graph.cypher import segments as segment_cypher
from ontology.graphql import describe
from ontology.model import default as default_ontology
from tests.api.conftest import execute_graphql

AS_OF = dt.datetime(2026, 6, 30)  # the generator's world date (defaults.toml)
DEFINITIONS = segment_compile.load(None, default_ontology())
BY_ID = {s.id: s for s in DEFINITIONS}


def _months_ago(day: dt.datetime, n: int) -> dt.datetime:
    """Cypher's calendar arithmetic: the same day n months earlier, clamped to month end."""
    y, m = divmod(day.year * 12 + day.month - 1 - n, 12)
    return day.replace(
        year=y, month=m + 1, day=min(day.day, calendar.monthrange(y, m + 1)[1])
    )


def _years_ago(day: dt.datetime, n: int) -> dt.datetime:
    return _months_ago(day, 12 * n)


def _facts(driver: neo4j.Driver, db: str) -> dict[str, dict[str, Any]]:
    """Each person's plain facts, read without any segment machinery."""
    rows, _, _ = driver.execute_query(
        """
        MATCH (p:Person)
        RETURN p.id AS id, p.lifecycleStage AS stage, p.rfmLabel AS rfm, p.clv AS clv,
          p.daysSincePurchase AS days,
          [(p)-[:HAD]->(t:Touchpoint) | {kind: [l IN labels(t) WHERE l <> 'Touchpoint'][0],
             at: t.at, amount: t.amount, score: t.score}] AS steps,
          [(p)-[o:OWNS]->(v:Vehicle)-[:OF_MODEL]->(m:Model) | {vin: v.vin, family: m.family,
             limited: m.limitedEdition, status: o.certificationStatus, since: o.ownedFrom,
             through: o.ownedThrough}] AS owns,
          [(p)-[:PREFERS_DEALER]->(:Dealer)<-[:AFFILIATED_WITH]-(c:Club) | c.code] AS dealer_clubs,
          [(p)-[m:MEMBER_OF]->(:Club) | m.membershipStatus] AS memberships,
          COUNT { (p)-[:REFERRED]->() } AS referred
        """,
        database_=db,
    )
    certified: dict[str, list[dt.date]] = defaultdict(list)
    facts = {}
    for r in rows:
        f = dict(r)
        for step in f["steps"]:
            step["at"] = step["at"].to_native()
        for own in f["owns"]:
            own["since"] = own["since"].to_native() if own["since"] else None
            own["through"] = own["through"].to_native() if own["through"] else None
            if own["status"] in ("certified", "auto"):
                certified[own["vin"]].append(own["since"])
        facts[f["id"]] = f
    for f in facts.values():
        f["certified_later"] = {
            own["vin"]: any(s > own["since"] for s in certified[own["vin"]])
            for own in f["owns"]
        }
    return facts


def _steps(f: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in f["steps"] if s["kind"] == kind]


# Each shipped segment, as its description reads, in plain Python.
RULES: dict[str, Callable[[dict[str, Any], dt.datetime], bool]] = {
    "inner-circle": lambda f, t: (
        sum(o["amount"] or 0 for o in _steps(f, "Order") if o["at"] >= _years_ago(t, 5))
        >= 100000
        or any(
            (o["amount"] or 0) >= 45000 and o["at"] >= _years_ago(t, 5)
            for o in _steps(f, "Order")
        )
    ),
    "sleeper-leads": lambda f, t: (
        f["stage"] == "sleeper_lead"
        and any(q["at"] >= _months_ago(t, 12) for q in _steps(f, "Quotation"))
    ),
    "waiting-customers": lambda f, t: f["stage"] == "ordered",
    "certified-heritage": lambda f, t: any(
        o["through"] is None
        and o["status"] in ("certified", "auto")
        and o["family"] == "Heritage"
        and not f["certified_later"][o["vin"]]
        for o in f["owns"]
    ),
    "owners-without-app": lambda f, t: (
        any(d["at"] < t - dt.timedelta(days=14) for d in _steps(f, "Delivery"))
        and not _steps(f, "AppInstall")
    ),
    "recent-detractors": lambda f, t: any(
        s["score"] is not None
        and s["score"] <= 6
        and s["at"] >= t - dt.timedelta(days=90)
        and not any(
            x["score"] is not None and x["score"] >= 7 and x["at"] > s["at"]
            for x in _steps(f, "SurveyResponse")
        )
        for s in _steps(f, "SurveyResponse")
    ),
    "club-prospects": lambda f, t: (
        f["stage"] in ("owner", "repeat_owner")
        and bool(f["dealer_clubs"])
        and "active" not in f["memberships"]
    ),
    "win-back": lambda f, t: (
        f["stage"] == "former_owner"
        and len(f["owns"]) >= 2
        and not any(
            o["through"] is not None and o["through"] >= _months_ago(t, 12).date()
            for o in f["owns"]
        )
    ),
    "silent-promoters": lambda f, t: (
        any(
            s["score"] is not None and s["score"] >= 9 and s["at"] >= _months_ago(t, 12)
            for s in _steps(f, "SurveyResponse")
        )
        and f["referred"] == 0
    ),
    "loyal-promoters": lambda f, t: (
        any(
            o["limited"]
            and o["through"] is None
            and o["since"] >= _months_ago(t, 24).date()
            for o in f["owns"]
        )
        and "active" in f["memberships"]
        and (lambda s: bool(s) and (s[-1]["score"] or 0) >= 9)(
            sorted(_steps(f, "SurveyResponse"), key=lambda s: s["at"])
        )
    ),
    "service-due": lambda f, t: (
        f["stage"] in ("owner", "repeat_owner")
        and not any(s["at"] >= _months_ago(t, 11) for s in _steps(f, "ServiceVisit"))
    ),
    "vvip": lambda f, t: f["rfm"] == "vvip",
    "high-value-at-risk": lambda f, t: (
        (f["clv"] or 0) >= 10000 and (f["days"] or 0) > 730
    ),
    "atelier-launch-invitees": lambda f, t: any(
        o["limited"] and o["since"] <= dt.date(2026, 6, 28) for o in f["owns"]
    ),
}


def _members(driver: neo4j.Driver, db: str) -> dict[str, set[str]]:
    rows, _, _ = driver.execute_query(
        "MATCH (p:Person)-[m:IN_SEGMENT]->(s:Segment) WHERE m.until IS NULL "
        "RETURN s.id AS s, collect(p.id) AS ids",
        database_=db,
    )
    return {r["s"]: set(r["ids"]) for r in rows}


@pytest.fixture(scope="module")
def refreshed(
    driver: neo4j.Driver, neo4j_settings: Neo4jSettings, loaded: pipeline.PipelineResult
) -> dict[str, dict[str, Any]]:
    """The graph's segments evaluated afresh on the generator's own day (the load evaluated
    them at today's date); the facts beside them."""
    db = neo4j_settings.database
    assert {r.segment for r in loaded.refreshed_segments} == set(BY_ID)
    driver.execute_query("MATCH (s:Segment) DETACH DELETE s", database_=db)
    segments.refresh(driver, DEFINITIONS, AS_OF, db)
    return _facts(driver, db)


def test_every_shipped_rule_is_recomputed_exactly(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    assert set(RULES) == set(BY_ID), "each shipped segment needs its Python twin here"
    stored = _members(driver, neo4j_settings.database)
    for sid, rule in RULES.items():
        expected = {p for p, f in refreshed.items() if rule(f, AS_OF)}
        assert stored.get(sid, set()) == expected, sid
    non_empty = [sid for sid in RULES if stored.get(sid)]
    assert len(non_empty) >= 8, non_empty  # the data exercises most rules


def test_counts_are_stored_and_one_membership_is_open_per_person(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    db = neo4j_settings.database
    rows, _, _ = driver.execute_query(
        "MATCH (s:Segment) RETURN s.id AS id, s.memberCount AS n, s.description AS d, "
        "COUNT { (s)<-[m:IN_SEGMENT]-() WHERE m.until IS NULL } AS open",
        database_=db,
    )
    assert {r["id"] for r in rows} == set(BY_ID)
    assert all(r["n"] == r["open"] for r in rows)
    assert all(r["d"] == BY_ID[r["id"]].description for r in rows)
    twice, _, _ = driver.execute_query(
        "MATCH (p:Person)-[m:IN_SEGMENT]->(s:Segment) WHERE m.until IS NULL "
        "WITH p, s, count(m) AS n WHERE n > 1 RETURN count(*) AS n",
        database_=db,
    )
    assert twice[0]["n"] == 0


def test_a_later_refresh_keeps_history_and_leaves_snapshots_alone(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    db = neo4j_settings.database
    before = _members(driver, db)
    later = AS_OF + dt.timedelta(days=200)
    done = {r.segment: r for r in segments.refresh(driver, DEFINITIONS, later, db)}
    after = _members(driver, db)
    try:
        for sid, rule in RULES.items():
            if BY_ID[sid].kind == "static":
                assert done[sid].skipped and after.get(sid) == before.get(sid)
                continue
            expected = {p for p, f in refreshed.items() if rule(f, later)}
            assert after.get(sid, set()) == expected, sid
            assert done[sid].entered == len(expected - before.get(sid, set()))
            assert done[sid].exited == len(before.get(sid, set()) - expected)
        # The windows moved on: someone left a segment; their membership was closed, not deleted.
        left = {(sid, p) for sid in before for p in before[sid] - after.get(sid, set())}
        assert left
        sid, person = sorted(left)[0]
        closed, _, _ = driver.execute_query(
            "MATCH (:Person {id: $p})-[m:IN_SEGMENT]->(:Segment {id: $s}) "
            "RETURN m.since AS since, m.until AS until",
            p=person,
            s=sid,
            database_=db,
        )
        assert [(r["since"].to_native(), r["until"].to_native()) for r in closed] == [
            (AS_OF.date(), later.date())
        ]
    finally:
        segments.refresh(driver, DEFINITIONS, AS_OF, db)


def test_a_new_rule_version_closes_the_old_memberships(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    db = neo4j_settings.database
    seg = BY_ID["service-due"]
    before = _members(driver, db)["service-due"]
    assert before
    bumped = tuple(replace(s, version="2") if s is seg else s for s in DEFINITIONS)
    try:
        segments.refresh(driver, bumped, AS_OF, db)
        rows, _, _ = driver.execute_query(
            "MATCH (p:Person)-[m:IN_SEGMENT]->(:Segment {id: 'service-due'}) "
            "RETURN m.ruleVersion AS v, m.until IS NULL AS open, count(*) AS n",
            database_=db,
        )
        counts = {(r["v"], r["open"]): r["n"] for r in rows}
        assert counts.get(("2", True)) == len(before)
        assert counts.get(("1", True)) is None
        assert counts.get(("1", False), 0) >= len(before)
    finally:
        segments.refresh(driver, DEFINITIONS, AS_OF, db)


MEMBERS = """
query($id: ID!, $after: String) {
  segmentMembers(segmentId: $id, first: 7, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id }
  }
}
"""

WHY = """
query($c: ID!, $s: ID!) {
  segmentMembership(customerId: $c, segmentId: $s) {
    member since ruleVersion evaluatedAt reasons { condition held matches values }
  }
  customer(id: $c) { inSegment(current: true) { since node { id } } }
}
"""


def test_members_page_through_the_whole_segment(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    expected = _members(driver, neo4j_settings.database)["owners-without-app"]
    assert len(expected) > 7
    seen: list[str] = []
    after = None
    while True:
        result = execute_graphql(
            neo4j_settings, MEMBERS, {"id": "owners-without-app", "after": after}
        )
        assert result.errors is None, result.errors
        page = result.data["segmentMembers"]
        assert page["totalCount"] == len(expected)
        seen += [n["id"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(expected)


def test_both_ways_to_page_members_give_the_same_pages(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    """``segmentMembers`` walks people in id order for the first pages of a large
    segment and expands from the segment otherwise; both find the same members."""
    gql = describe(default_ontology())
    db = neo4j_settings.database
    members = _members(driver, db)
    # History both must skip: an ended membership of a non-member in every segment.
    driver.execute_query(
        """MATCH (s:Segment) MATCH (p:Person) WHERE NOT (p)-[:IN_SEGMENT]->(s)
           WITH s, min(p.id) AS pid MATCH (p:Person {id: pid})
           CREATE (p)-[:IN_SEGMENT {since: date('2020-01-01'),
                   until: date('2020-02-01'), testHistory: true}]->(s)""",
        database_=db,
    )
    try:
        _compare_pages(driver, db, gql, members)
    finally:
        driver.execute_query(
            "MATCH ()-[m:IN_SEGMENT {testHistory: true}]->() DELETE m", database_=db
        )


def _compare_pages(
    driver: neo4j.Driver, db: str, gql: Any, members: dict[str, Any]
) -> None:
    for sid, expected in members.items():
        cursors = {None} | {a for a in (0, 6, len(expected) - 2) if a >= 0}
        for after in cursors:
            args: dict[str, Any] = {"first": 7}
            if after is not None:
                args["after"] = cq.encode_cursor(after)
            ids = (cq.Selection("id", "id"),)
            sel = cq.Selection(
                "segmentMembers", "m", args, (cq.Selection("nodes", "nodes", {}, ids),)
            )
            pages = []
            for match in (segment_cypher.MEMBERS_MATCH, segment_cypher.MEMBERS_BY_ID):
                query, params, offset, size = cq.compile_page(
                    gql, "Person", match, sel, {"segment": sid}
                )
                rows, _, _ = driver.execute_query(query, params, database_=db)
                pages.append([n["id"] for n in rows[0]["nodes"]])
            want = sorted(expected)[
                offset : offset + size + 1
            ]  # one more than the page
            assert pages[0] == pages[1] == want, (sid, after)


def test_the_walk_in_id_order_is_taken_for_large_segments_near_the_start() -> None:
    assert scan_by_id(members=14_948, people=111_951, wanted=21)  # the largest, page 1
    assert not scan_by_id(members=14_948, people=111_951, wanted=1_001)  # deep page
    assert not scan_by_id(members=500, people=111_951, wanted=21)  # small segment
    assert not scan_by_id(members=0, people=111_951, wanted=21)


def test_a_membership_says_which_conditions_held(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    members = _members(driver, neo4j_settings.database)
    person = sorted(members["owners-without-app"])[0]
    result = execute_graphql(
        neo4j_settings, WHY, {"c": person, "s": "owners-without-app"}
    )
    assert result.errors is None, result.errors
    why = result.data["segmentMembership"]
    assert why["member"] and why["since"] == AS_OF.date().isoformat()
    assert why["ruleVersion"] == "1" and why["evaluatedAt"] == AS_OF.isoformat()
    delivered, no_app = why["reasons"]
    deliveries = _steps(refreshed[person], "Delivery")
    assert delivered["held"] and delivered["matches"] == sum(
        d["at"] < AS_OF - dt.timedelta(days=14) for d in deliveries
    )
    assert delivered["values"][0].startswith("d.at = ")
    assert no_app["held"] and no_app["matches"] == 0
    current = {m["node"]["id"] for m in result.data["customer"]["inSegment"]}
    assert current == {s for s, ids in members.items() if person in ids}

    outsider = next(
        p
        for p in sorted(refreshed)
        if p not in members["service-due"] and refreshed[p]["stage"] == "contact"
    )
    result = execute_graphql(neo4j_settings, WHY, {"c": outsider, "s": "service-due"})
    why = result.data["segmentMembership"]
    assert not why["member"]
    assert why["reasons"][0]["held"] is False  # a contact owns nothing
    assert why["reasons"][0]["values"] == ["p.lifecycleStage = contact"]


def test_every_segment_explains_itself(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    """Each shipped definition's reasons query runs, and agrees with the stored membership."""
    members = _members(driver, neo4j_settings.database)
    for seg in DEFINITIONS:
        inside = sorted(members.get(seg.id, set()))[:1]
        outside = sorted(set(refreshed) - members.get(seg.id, set()))[:1]
        for person in inside + outside:
            result = execute_graphql(neo4j_settings, WHY, {"c": person, "s": seg.id})
            assert result.errors is None, (seg.id, result.errors)
            why = result.data["segmentMembership"]
            held = [r["held"] for r in why["reasons"]]
            assert why["member"] == (
                all(held) if seg.require == "all" else any(held)
            ), seg.id


@pytest.mark.parametrize(
    "hostile", ["nobody", "x' OR 1=1 //", "}) MATCH (n) DETACH DELETE n //"]
)
def test_unknown_or_hostile_ids_are_null(
    neo4j_settings: Neo4jSettings, refreshed: dict[str, dict[str, Any]], hostile: str
) -> None:
    person = sorted(refreshed)[0]
    for variables in ({"c": hostile, "s": "service-due"}, {"c": person, "s": hostile}):
        result = execute_graphql(neo4j_settings, WHY, variables)
        assert result.errors is None and result.data["segmentMembership"] is None
    result = execute_graphql(neo4j_settings, MEMBERS, {"id": hostile, "after": None})
    assert result.errors is None and result.data["segmentMembers"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            '{ segmentMembers(segmentId: "service-due", first: 1000) { totalCount } }',
            "first must be between 0 and 100",
        ),
        (
            '{ segmentMembers(segmentId: "service-due", after: "nope") { totalCount } }',
            "after is not a cursor",
        ),
        (
            '{ segmentMembership(customerId: "'
            + "x" * 200
            + '", segmentId: "s") { member } }',
            "customerId is longer than 100",
        ),
        (
            "{ customers: persons(first: 1) { nodes { owns(current: true) { node { vin } } } } }",
            "Unknown argument 'current'",
        ),
    ],
)
def test_bad_arguments_are_graphql_errors(
    neo4j_settings: Neo4jSettings, query: str, message: str
) -> None:
    result = execute_graphql(neo4j_settings, query)
    assert result.errors and message in result.errors[0].message


def test_value_scores_read_and_filter_through_graphql(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    """RFM and CLV are derived fields of the customer: readable, filterable, explained."""
    labels = {f["rfm"] for f in refreshed.values() if f["rfm"]}
    assert {"one_timer", "regular"} <= labels
    top = max(
        (f for f in refreshed.values() if f["clv"] is not None), key=lambda f: f["clv"]
    )
    result = execute_graphql(
        neo4j_settings,
        """query($id: ID!) {
          customer(id: $id) { rfmRecency rfmFrequency rfmMonetary rfmLabel clv
                              purchasesInWindow spendInWindow valueModel }
          persons(where: {rfmLabel: {eq: ONE_TIMER}}) { totalCount }
        }""",
        {"id": top["id"]},
    )
    assert result.errors is None, result.errors
    got = result.data["customer"]
    assert got["clv"] == top["clv"] and got["rfmLabel"] == top["rfm"].upper()
    assert got["purchasesInWindow"] >= 1 and got["spendInWindow"] > 0
    assert "rfm-1/clv-1" in got["valueModel"]
    assert result.data["persons"]["totalCount"] == sum(
        f["rfm"] == "one_timer" for f in refreshed.values()
    )


def test_memberships_as_of_a_day(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    """``inSegment(activeOn: day)`` keeps the memberships that held that day, from history."""
    db = neo4j_settings.database
    later = AS_OF + dt.timedelta(days=200)
    segments.refresh(driver, DEFINITIONS, later, db)  # some leave: closed history
    try:
        rows, _, _ = driver.execute_query(
            "MATCH (p:Person)-[m:IN_SEGMENT]->(s:Segment) WHERE m.until IS NOT NULL "
            "WITH p ORDER BY p.id LIMIT 1 "
            "MATCH (p)-[m:IN_SEGMENT]->(s:Segment) "
            "RETURN p.id AS id, s.id AS s, m.since AS since, m.until AS until",
            database_=db,
        )
        assert rows
        person = rows[0]["id"]
        for day in (AS_OF.date() - dt.timedelta(days=1), AS_OF.date(), later.date()):
            expected = sorted(
                r["s"]
                for r in rows
                if r["since"].to_native() <= day
                and (r["until"] is None or r["until"].to_native() > day)
            )
            result = execute_graphql(
                neo4j_settings,
                "query($id: ID!, $day: Date!) { customer(id: $id) { "
                "inSegment(activeOn: $day) { node { id } } } }",
                {"id": person, "day": day.isoformat()},
            )
            assert result.errors is None, result.errors
            got = sorted(m["node"]["id"] for m in result.data["customer"]["inSegment"])
            assert got == expected, day
        assert expected != sorted(  # the later day differs from the first refresh's day
            r["s"]
            for r in rows
            if r["since"].to_native() <= AS_OF.date()
            and (r["until"] is None or r["until"].to_native() > AS_OF.date())
        )
    finally:
        segments.refresh(driver, DEFINITIONS, AS_OF, db)


def test_a_segment_pages_its_current_members_itself(
    driver: neo4j.Driver,
    neo4j_settings: Neo4jSettings,
    refreshed: dict[str, dict[str, Any]],
) -> None:
    """``segment(id) { segmentMembersConnection(current: true) }``: the issue's
    ``segment(id) { count members(first, after) }``, derived from the ontology."""
    members = _members(driver, neo4j_settings.database)
    sid = min((s for s in members if members[s]), key=lambda s: len(members[s]))
    assert len(members[sid]) <= 100
    result = execute_graphql(
        neo4j_settings,
        """query($id: ID!) { segment(id: $id) { memberCount
             segmentMembersConnection(current: true, first: 100) {
               totalCount nodes { since node { id } } } } }""",
        {"id": sid},
    )
    assert result.errors is None, result.errors
    got = result.data["segment"]
    page = got["segmentMembersConnection"]
    assert got["memberCount"] == page["totalCount"] == len(members[sid])
    assert [n["node"]["id"] for n in page["nodes"]] == sorted(members[sid])
