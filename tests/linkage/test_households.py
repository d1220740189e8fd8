"""Households from shared links, capped in size, with deterministic IDs."""

from __future__ import annotations

import random
import uuid

from linkage.households import Home, Shared, households, regroup, split
from linkage.ids import NAMESPACE


def hid(smallest_person_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"household\x1f{smallest_person_id}"))


def test_shared_links_group_people_and_singletons_are_left_out() -> None:
    ids = ["p3", "p1", "p2", "p0"]
    links = [
        Shared(0, 1, "same_address", "via roma 1"),
        Shared(1, 2, "same_landline", "+39045"),
    ]
    (home,) = households(ids, links, max_size=8)
    assert home.members == (0, 1, 2)
    assert home.id == hid("p1")  # the smallest member ID, not index 0
    assert set(home.evidence) == set(links)


def test_no_links_no_households() -> None:
    assert households(["p0", "p1"], [], max_size=8) == []


def test_separate_groups_are_separate_households_sorted_by_id() -> None:
    ids = ["a", "b", "c", "d", "e"]
    links = [Shared(0, 1, "same_email", "x"), Shared(3, 4, "same_email", "y")]
    homes = households(ids, links, max_size=8)
    assert [h.members for h in homes] == sorted(
        [(0, 1), (3, 4)], key=lambda m: hid(ids[m[0]])
    )
    assert [h.id for h in homes] == sorted([hid("a"), hid("d")])
    assert all(len(h.evidence) == 1 for h in homes)


def test_max_size_stops_growth() -> None:
    # A dealer's address typed into five accounts: at most three people per household.
    ids = [f"p{i}" for i in range(5)]
    links = [Shared(0, i, "same_address", "dealer street 1") for i in range(1, 5)]
    (home,) = households(ids, links, max_size=3)
    assert home.members == (0, 1, 2)
    # Links that would have grown it past the cap are not its evidence.
    assert home.evidence == (links[0], links[1])


def test_cap_applies_to_merging_two_groups() -> None:
    ids = [f"p{i}" for i in range(4)]
    links = [
        Shared(0, 1, "a_rule", "x"),
        Shared(2, 3, "a_rule", "y"),
        Shared(1, 2, "b_rule", "z"),  # would make four
    ]
    homes = households(ids, links, max_size=3)
    assert sorted(h.members for h in homes) == [(0, 1), (2, 3)]
    assert households(ids, links, max_size=4)[0].members == (0, 1, 2, 3)


def test_max_size_one_makes_no_households() -> None:
    assert households(["p0", "p1"], [Shared(0, 1, "same_email", "x")], 1) == []


def test_redundant_links_inside_a_household_are_kept_as_evidence() -> None:
    links = [
        Shared(0, 1, "same_address", "via roma 1"),
        Shared(0, 1, "same_landline", "+39045"),
    ]
    (home,) = households(["p0", "p1"], links, max_size=2)
    assert set(home.evidence) == set(links)


def test_result_is_deterministic_whatever_the_link_order() -> None:
    ids = [f"p{i:02d}" for i in range(12)]
    rng = random.Random(11)
    links = [
        Shared(a, b, rng.choice(["same_address", "same_email", "same_vehicle"]), "v")
        for a, b in ((rng.randrange(12), rng.randrange(12)) for _ in range(20))
        if a != b
    ]
    expected = households(ids, links, max_size=3)
    assert expected  # the data does make households
    assert all(len(h.members) <= 3 for h in expected)
    for _ in range(10):
        shuffled = links[:]
        rng.shuffle(shuffled)
        got = households(ids, shuffled, max_size=3)
        assert [(h.id, h.members) for h in got] == [(h.id, h.members) for h in expected]
        assert [set(h.evidence) for h in got] == [set(h.evidence) for h in expected]


def test_household_id_depends_on_person_ids_not_positions() -> None:
    first = households(["x", "y", "z"], [Shared(1, 2, "same_email", "e")], 8)
    second = households(["z", "y", "x"], [Shared(0, 1, "same_email", "e")], 8)
    assert first[0].id == second[0].id == hid("y")


# regroup: an incremental transaction's households, over the graph's.


def home(hid_: str, *members: str, rules: tuple[str, ...] = ("same_address",)) -> Home:
    return Home(hid_, frozenset(members), frozenset(rules))


def test_a_new_link_between_two_people_makes_the_household_a_batch_would() -> None:
    made, gone = regroup([], {}, (), [("p2", "p1", "same_email")], max_size=8)
    assert made == [Home(hid("p1"), frozenset({"p1", "p2"}), frozenset({"same_email"}))]
    assert gone == []
    # The batch names the same people's household the same way.
    assert households(["p1", "p2"], [Shared(0, 1, "same_email", "e")], 8)[0].id == hid(
        "p1"
    )


def test_a_new_member_joins_the_household_and_it_keeps_its_id() -> None:
    old = home("h-old", "a", "b")
    made, gone = regroup([old], {}, (), [("new", "b", "same_landline")], max_size=8)
    assert made == [
        Home(
            "h-old",
            frozenset({"a", "b", "new"}),
            frozenset({"same_address", "same_landline"}),
        )
    ]
    assert gone == []


def test_two_households_a_link_unites_keep_the_larger_one_s_id() -> None:
    big, small = home("h-z", "a", "b", "c"), home("h-a", "d", "e")
    made, gone = regroup([small, big], {}, (), [("c", "d", "same_vehicle")], 8)
    assert [(h.id, h.members) for h in made] == [("h-z", frozenset("abcde"))]
    assert gone == ["h-a"]
    # Past the cap, nothing moves.
    made, gone = regroup([small, big], {}, (), [("c", "d", "same_vehicle")], 4)
    assert sorted(h.id for h in made) == ["h-a", "h-z"] and gone == []


def test_a_merge_folds_the_absorbed_person_into_its_survivor() -> None:
    # "b" merged into "a": the household of the two is one person now, so no household;
    # "c"'s household takes the survivor in.
    pair, other = home("h-1", "a", "b"), home("h-2", "b2", "c")
    made, gone = regroup([pair], {"b": "a"}, (), [], 8)
    assert made == [] and gone == ["h-1"]
    made, gone = regroup([pair, other], {"b": "a", "b2": "a"}, (), [], 8)
    assert [h.members for h in made] == [frozenset({"a", "c"})] and gone == ["h-2"]
    assert made[0].id == "h-1"  # equal sizes: the smaller ID


def test_a_person_left_without_records_leaves_the_household() -> None:
    made, gone = regroup([home("h", "a", "b", "c")], {}, {"c"}, [], 8)
    assert [h.members for h in made] == [frozenset({"a", "b"})] and gone == []
    made, gone = regroup([home("h", "a", "b")], {}, {"b"}, [], 8)
    assert made == [] and gone == ["h"]


def test_regrouping_is_deterministic_whatever_the_order() -> None:
    homes = [home("h1", "a", "b"), home("h2", "c", "d", "e"), home("h3", "f", "g")]
    links = [("b", "c", "same_email"), ("e", "f", "same_address"), ("x", "a", "r")]
    expected = regroup(homes, {"g": "a"}, (), links, 6)
    for order in (homes[::-1], [homes[1], homes[0], homes[2]]):
        assert regroup(order, {"g": "a"}, (), links[::-1], 6) == expected
    assert all(len(h.members) <= 6 for h in expected[0])


# split: a household after a changed record took one of its members' keys away.


def test_a_member_who_moved_away_leaves_and_the_rest_keep_the_id() -> None:
    keys = {
        "a": {"k-home": "same_address"},
        "b": {"k-home": "same_address", "k-line": "same_landline"},
        "c": {"k-line": "same_landline"},
        "moved": {"k-elsewhere": "same_address"},
    }
    parts = split(home("h", "a", "b", "c", "moved"), keys, 8)
    assert parts == [
        Home("h", frozenset("abc"), frozenset({"same_address", "same_landline"}))
    ]


def test_a_household_held_together_by_the_one_who_moved_falls_in_two() -> None:
    # "p" linked a couple and a family (its address with one, its email with the other).
    keys = {
        "a": {"k1": "same_address"},
        "b": {"k1": "same_address"},
        "c": {"k2": "same_email"},
        "d": {"k2": "same_email"},
        "e": {"k2": "same_email"},
        "p": {},
    }
    parts = split(home("h", "a", "b", "c", "d", "e", "p"), keys, 8)
    # The larger part keeps the ID; the other is named as a batch names it.
    assert [(h.id, h.members) for h in parts] == [
        ("h", frozenset("cde")),
        (hid("a"), frozenset("ab")),
    ]
    assert [h.rules for h in parts] == [
        frozenset({"same_email"}),
        frozenset({"same_address"}),
    ]
    # Never past the cap, as a batch run groups them.
    capped = split(home("h", *keys), keys, 2)
    assert {h.members for h in capped} == {frozenset("ab"), frozenset("cd")}
    assert "h" in {h.id for h in capped}


def test_a_household_whose_keys_still_hold_it_is_unchanged() -> None:
    keys = {"a": {"k": "same_vehicle"}, "b": {"k": "same_vehicle"}}
    whole = home("h", "a", "b", rules=("same_vehicle",))
    assert split(whole, keys, 8) == [whole]
    # Two left who share nothing: no household.
    assert split(whole, {"a": {"k": "same_vehicle"}, "b": {}}, 8) == []
