"""Guarded clustering: strongest evidence first, and the guards that stop chaining."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import networkx as nx
import pytest

from linkage.cluster import (
    Clustering,
    Edge,
    Guards,
    Person,
    close,
    cluster,
    names_compatible,
)

GUARDS = Guards(exclusive={"app_account": 0, "birth_date": 1})
NAMELESS = Person()


def edge(
    a: int,
    b: int,
    strength: float = 1.0,
    rule: str = "r",
    score: float | None = None,
    value: str | None = None,
) -> Edge:
    return Edge(a, b, strength, rule, score, value)


def named(given: str, family: str | None = None) -> Person:
    return Person(names=((given, family),))


def app(account: str, *names: tuple[str, str | None]) -> Person:
    return Person(names=names, exclusive=(("app_account", account),))


def born(date: str) -> Person:
    return Person(exclusive=(("birth_date", date),))


def reasons(result: Clustering) -> list[tuple[int, int, str]]:
    return [(r.edge.a, r.edge.b, r.reason) for r in result.refused]


# --- strongest edges first ------------------------------------------------------------


def test_stronger_edge_wins_a_conflict_whatever_the_input_order() -> None:
    # 1 is nameless and could belong to either account holder; the strongest evidence decides.
    people = [app("u-1"), NAMELESS, app("u-2")]
    weak, strong = edge(0, 1, 1.0, "weak"), edge(1, 2, 3.0, "manual")
    for edges in ([weak, strong], [strong, weak]):
        result = cluster(people, edges, guards=GUARDS)
        assert result.clusters() == [[0], [1, 2]]
        assert result.tree == (strong,)
        assert reasons(result) == [(0, 1, "different app_account")]


def test_equal_strength_is_decided_by_the_higher_score() -> None:
    people = [app("u-1"), NAMELESS, app("u-2")]
    low = edge(0, 1, 1.0, "splink", score=0.91)
    high = edge(1, 2, 1.0, "splink", score=0.99)
    result = cluster(people, [low, high], guards=GUARDS)
    assert result.clusters() == [[0], [1, 2]]
    assert result.tree == (high,)
    assert [r.edge for r in result.refused] == [low]


def test_tree_is_a_spanning_forest_in_application_order() -> None:
    people = [NAMELESS] * 4
    edges = [
        edge(0, 1, 1.0, "c"),
        edge(1, 2, 2.0, "b"),
        edge(0, 2, 3.0, "a"),
        edge(2, 3, 0.5, "d"),
    ]
    result = cluster(people, edges)
    assert result.clusters() == [[0, 1, 2, 3]]
    # 0-1 comes after 0-2 and 1-2 have already joined its ends: it is not in the tree.
    assert [e.rule for e in result.tree] == ["a", "b", "d"]
    assert result.refused == ()


# --- exclusive guard -----------------------------------------------------------------


def test_two_app_accounts_never_join_through_a_nameless_record() -> None:
    people = [app("u-1"), NAMELESS, app("u-2")]
    result = cluster(people, [edge(0, 1), edge(1, 2)], guards=GUARDS)
    assert result.clusters() == [[0, 1], [2]]
    assert result.labels == (0, 0, 2)
    assert reasons(result) == [(1, 2, "different app_account")]


def test_same_app_account_joins() -> None:
    people = [app("u-1"), NAMELESS, app("u-1")]
    result = cluster(people, [edge(0, 1), edge(1, 2)], guards=GUARDS)
    assert result.clusters() == [[0, 1, 2]]
    assert result.refused == ()


def test_birth_dates_one_edit_apart_join() -> None:
    people = [born("1980-05-12"), born("1980-05-13")]
    result = cluster(people, [edge(0, 1)], guards=GUARDS)
    assert result.clusters() == [[0, 1]]


def test_birth_dates_two_edits_apart_stay_apart() -> None:
    people = [born("1980-05-12"), born("1980-06-13")]
    result = cluster(people, [edge(0, 1)], guards=GUARDS)
    assert result.clusters() == [[0], [1]]
    assert reasons(result) == [(0, 1, "different birth_date")]


def test_a_union_refused_on_two_fields_gives_the_same_reason_in_every_process() -> None:
    """The reason is what ``c360 why-not`` prints: it must not follow the hash order of a
    set of strings, which changes with each process's PYTHONHASHSEED."""
    script = (
        "from linkage.cluster import Guards, Person, Edge, cluster\n"
        "p = [Person(exclusive=(('birth_date', '1980-05-12'), ('app_account', 'A'))),\n"
        "     Person(exclusive=(('birth_date', '1991-01-01'), ('app_account', 'B')))]\n"
        "g = Guards(exclusive={'app_account': 0, 'birth_date': 1})\n"
        "print(cluster(p, [Edge(0, 1, 1.0, 'r')], guards=g).refused[0].reason)\n"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(8)
    }
    assert seen == {"different app_account"}


def test_exclusive_without_configured_tolerance_is_exact() -> None:
    people = [born("1980-05-12"), born("1980-05-13")]
    result = cluster(people, [edge(0, 1)], guards=Guards())
    assert result.clusters() == [[0], [1]]
    assert reasons(result) == [(0, 1, "different birth_date")]


def test_exclusive_only_applies_when_both_sides_have_the_field() -> None:
    people = [born("1980-05-12"), app("u-1")]
    result = cluster(people, [edge(0, 1)], guards=GUARDS)
    assert result.clusters() == [[0, 1]]


# --- deduplicated-source guard -------------------------------------------------------


def test_two_records_of_a_deduplicated_source_never_join() -> None:
    people = [Person(once="owner_app"), Person(once="owner_app")]
    result = cluster(people, [edge(0, 1)])
    assert result.clusters() == [[0], [1]]
    assert reasons(result) == [(0, 1, "two records of deduplicated source owner_app")]


def test_deduplicated_source_guard_holds_through_a_third_record() -> None:
    people = [Person(once="owner_app"), NAMELESS, Person(once="owner_app")]
    result = cluster(people, [edge(0, 1, 0.9), edge(1, 2, 0.95)])
    assert result.clusters() == [[0], [1, 2]]
    assert [r.edge for r in result.refused] == [edge(0, 1, 0.9)]


def test_greedy_strongest_first_gives_a_one_to_one_assignment() -> None:
    # Two apps (0, 1) and two CRM records (2, 3), both sources hold a person once.
    people = [Person(once="owner_app")] * 2 + [Person(once="dealer_crm")] * 2
    edges = [
        edge(0, 2, 0.90),
        edge(0, 3, 0.80),
        edge(1, 2, 0.85),
        edge(1, 3, 0.70),
    ]
    result = cluster(people, edges)
    assert result.clusters() == [[0, 2], [1, 3]]
    assert {(e.a, e.b) for e in result.tree} == {(0, 2), (1, 3)}
    assert sorted(reasons(result)) == [
        (0, 3, "two records of deduplicated source dealer_crm"),
        (1, 2, "two records of deduplicated source owner_app"),
    ]


def test_two_different_deduplicated_sources_join() -> None:
    people = [Person(once="owner_app"), Person(once="dealer_crm")]
    assert cluster(people, [edge(0, 1)]).clusters() == [[0, 1]]


# --- never-link ----------------------------------------------------------------------


def test_never_link_pair_is_refused_directly() -> None:
    result = cluster([NAMELESS, NAMELESS], [edge(0, 1, 9.0)], never=[(0, 1)])
    assert result.clusters() == [[0], [1]]
    assert reasons(result) == [(0, 1, "never-link decision")]


def test_never_link_holds_through_intermediate_records() -> None:
    people = [NAMELESS] * 4
    edges = [edge(0, 1, 3.0), edge(2, 3, 2.0), edge(1, 2, 1.0)]
    result = cluster(people, edges, never=[(3, 0)])
    assert result.clusters() == [[0, 1], [2, 3]]
    assert reasons(result) == [(1, 2, "never-link decision")]


# --- name guard ----------------------------------------------------------------------


def test_partners_sharing_an_email_stay_apart() -> None:
    people = [named("anna", "rossi"), named("marco", "rossi")]
    result = cluster(people, [edge(0, 1, rule="same_email", value="rossi@x.it")])
    assert result.clusters() == [[0], [1]]
    (refusal,) = result.refused
    assert refusal.reason == "incompatible given names"
    assert refusal.edge.value == "rossi@x.it"


def test_partners_never_chain_through_a_nameless_record() -> None:
    people = [named("anna", "rossi"), NAMELESS, named("marco", "rossi")]
    result = cluster(people, [edge(0, 1, 2.0), edge(1, 2, 1.0)])
    assert result.clusters() == [[0, 1], [2]]
    assert reasons(result) == [(1, 2, "incompatible given names")]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("marco", "rossi"), ("marko", "rossi")),  # typo
        (("giuseppe", "bellini"), ("guiseppe", "bellini")),  # transposition
        (("m", "rossi"), ("marco", "rossi")),  # initial
        (("marco", "rossi"), ("marco", None)),  # family unknown
    ],
)
def test_similar_given_names_join(
    a: tuple[str, str | None], b: tuple[str, str | None]
) -> None:
    result = cluster([named(*a), named(*b)], [edge(0, 1)])
    assert result.clusters() == [[0, 1]]


def test_nickname_joins_through_a_canonical_spelling() -> None:
    beppe = Person(names=(("beppe", "bellini"), ("giuseppe", "bellini")))
    result = cluster([beppe, named("giuseppe", "bellini")], [edge(0, 1)])
    assert result.clusters() == [[0, 1]]
    # Without the canonical spelling the nickname alone is not similar enough.
    alone = cluster(
        [named("beppe", "bellini"), named("giuseppe", "bellini")], [edge(0, 1)]
    )
    assert alone.clusters() == [[0], [1]]


def test_swapped_given_and_family_join() -> None:
    result = cluster([named("rossi", "anna"), named("anna", "rossi")], [edge(0, 1)])
    assert result.clusters() == [[0, 1]]


def test_half_swapped_names_do_not_join() -> None:
    # "macdonald" is the family of one and the (swapped) given of the other, but the
    # other halves, "gabriela" and "guy", are different people.
    people = [named("macdonald", "gabriela"), named("guy", "macdonald")]
    result = cluster(people, [edge(0, 1)])
    assert result.clusters() == [[0], [1]]
    assert reasons(result) == [(0, 1, "incompatible given names")]


def test_given_name_similarity_is_configurable() -> None:
    people = [named("marco", "rossi"), named("marko", "rossi")]  # jaro-winkler ~0.907
    strict = cluster(people, [edge(0, 1)], guards=Guards(given_name_similarity=0.95))
    assert strict.clusters() == [[0], [1]]


def test_names_compatible_and_close() -> None:
    assert names_compatible(set(), {("anna", "rossi")}, 0.85)
    assert names_compatible({("anna", "rossi")}, set(), 0.85)
    assert not names_compatible({("anna", "rossi")}, {("marco", "rossi")}, 0.85)
    # Any compatible pair of spellings is enough.
    assert names_compatible(
        {("anna", "rossi"), ("marco", "rossi")}, {("marko", None)}, 0.85
    )
    # A swap needs both families.
    assert not names_compatible({("rossi", None)}, {("anna", "rossi")}, 0.85)
    # A longer name cut elsewhere between given and family name, with a typo.
    assert names_compatible(
        {("da rosa pedro", "miguel")}, {("pedro miguel", "da rksa")}, 0.85
    )
    assert names_compatible({("ii heiko", "koch")}, {("heiko koch", "ii")}, 0.85)
    # Same words needs every word paired: a different given name is another person.
    assert not names_compatible(
        {("maria", "garcia lopez")}, {("jose", "garcia lopez")}, 0.85
    )
    assert not names_compatible(
        {("pedro miguel", "da rosa")}, {("da rosa", "miguel")}, 0.85
    )
    assert close("m", "marco", 0.85)
    assert close("marco", "m", 0.85)
    assert not close("a", "marco", 0.85)
    assert not close("anna", "marco", 0.85)


# --- labels and determinism ----------------------------------------------------------


def _guarded_case() -> tuple[list[Person], list[Edge], list[tuple[int, int]]]:
    people = [
        named("marco", "rossi"),  # 0
        app("u-1"),  # 1
        named("anna", "rossi"),  # 2
        NAMELESS,  # 3
        app("u-2", ("marco", "rossi")),  # 4
        Person(once="owner_app"),  # 5
        Person(once="owner_app"),  # 6
        NAMELESS,  # 7
        named("anna", "bianchi"),  # 8
    ]
    edges = [
        edge(4, 0, 2.0),
        edge(3, 0, 1.0),
        edge(3, 2, 0.5),  # anna would chain to marco
        edge(1, 3, 0.7),
        edge(1, 4, 0.6),  # two accounts
        edge(7, 5, 1.0),
        edge(7, 6, 0.9),  # second app record
        edge(8, 2, 0.3),
        edge(8, 3, 0.25),  # never-linked to 4
        edge(8, 6, 0.2),
    ]
    return people, edges, [(8, 4)]


def test_labels_are_the_smallest_member() -> None:
    people, edges, never = _guarded_case()
    result = cluster(people, edges, never, GUARDS)
    assert result.clusters() == [[0, 3, 4], [1], [2, 6, 8], [5, 7]]
    assert result.labels == (0, 1, 2, 0, 0, 5, 2, 5, 2)
    assert sorted(reasons(result)) == [
        (1, 3, "different app_account"),
        (1, 4, "different app_account"),
        (3, 2, "incompatible given names"),
        (7, 6, "two records of deduplicated source owner_app"),
        (8, 3, "never-link decision"),
    ]
    for members in result.clusters():
        assert all(result.labels[m] == min(members) for m in members)


def test_result_does_not_depend_on_edge_input_order() -> None:
    people, edges, never = _guarded_case()
    expected = cluster(people, edges, never, GUARDS)
    rng = random.Random(360)
    for _ in range(25):
        shuffled = edges[:]
        rng.shuffle(shuffled)
        result = cluster(people, shuffled, never, GUARDS)
        assert result.labels == expected.labels
        assert result.tree == expected.tree
        assert result.refused == expected.refused


def test_no_edges_gives_singletons() -> None:
    result = cluster([NAMELESS] * 3, [])
    assert result.labels == (0, 1, 2)
    assert result.clusters() == [[0], [1], [2]]


def test_edges_are_consumed_once_from_an_iterator() -> None:
    result = cluster([NAMELESS] * 3, iter([edge(0, 1), edge(1, 2)]))
    assert result.clusters() == [[0, 1, 2]]


# --- oracle --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_without_guards_clusters_are_connected_components(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    m = rng.randint(0, 2 * n)
    edges = [
        edge(
            rng.randrange(n),
            rng.randrange(n),
            rng.choice([0.5, 1.0, 2.0]),
            score=rng.random(),
        )
        for _ in range(m)
    ]
    graph: nx.Graph[int] = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((e.a, e.b) for e in edges)
    components = sorted(sorted(c) for c in nx.connected_components(graph))

    result = cluster([NAMELESS] * n, edges, guards=GUARDS)
    assert result.clusters() == components
    assert result.refused == ()
    assert len(result.tree) == n - len(components)
    for members in components:
        assert {result.labels[i] for i in members} == {members[0]}


# --- co-attendance: review-band pairs joined by an event both clusters were at ----------


def at(given: str, *events: str) -> Person:
    return Person(names=((given, "rossi"),), events=frozenset(events))


def test_a_review_pair_joins_when_its_clusters_were_at_one_event() -> None:
    # 0: a ticket for EV-1 under another email; 1-2: the person's dealer record and a
    # ticket for EV-1 that a rule joined.
    people = [at("anna", "EV-1"), at("anna"), at("anna", "EV-1")]
    review = edge(0, 1, 0.5, "co_attendance", 0.93)
    joined = cluster(people, [edge(1, 2, 2.0)], (), GUARDS, [review])
    assert len(set(joined.labels)) == 1
    # The link names the event, as the evidence of the join.
    assert [e for e in joined.tree if e.rule == "co_attendance"] == [
        edge(0, 1, 0.5, "co_attendance", 0.93, "EV-1")
    ]
    # Without the ticket that places the dealer record's person at EV-1, no event is shared.
    apart = cluster(people, [], (), GUARDS, [review])
    assert len(set(apart.labels)) == 3
    assert apart.tree == ()


def test_co_attendance_waits_for_the_union_that_brings_the_event() -> None:
    # 0-1 share nothing at first; 1-2 share EV-2, and 2 brings EV-1, which 0 was at.
    people = [at("anna", "EV-1"), at("anna", "EV-2"), at("anna", "EV-1", "EV-2")]
    first, second = edge(0, 1, 0.5, "c", 0.95), edge(1, 2, 0.5, "c", 0.85)
    result = cluster(people, [], (), GUARDS, [first, second])
    assert len(set(result.labels)) == 1
    assert [(e.a, e.b, e.value) for e in result.tree] == [
        (1, 2, "EV-2"),
        (0, 1, "EV-1"),
    ]


def test_co_attendance_needs_two_named_records_and_passes_the_guards() -> None:
    survey = Person(
        events=frozenset({"EV-1"})
    )  # nameless: whose it is is not its to say
    people = [survey, at("anna", "EV-1")]
    assert len(set(cluster(people, [], (), GUARDS, [edge(0, 1, 0.5)]).labels)) == 2
    # Partners at the same event: a review pair between them stays a review pair.
    partners = [at("anna", "EV-1"), at("marco", "EV-1")]
    assert len(set(cluster(partners, [], (), GUARDS, [edge(0, 1, 0.5)]).labels)) == 2
