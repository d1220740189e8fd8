"""Stable customer IDs: re-runs, updates, merges and splits, with lineage."""

from __future__ import annotations

import random
import uuid

from linkage.ids import NAMESPACE, Assigned, Key, assign, mint

A, B, C, D, E = (
    ("dealer_crm", "A"),
    ("dealer_crm", "B"),
    ("owner_app", "C"),
    ("survey", "D"),
    ("web_form", "E"),
)


def previous_of(clusters: list[list[Key]], out: list[Assigned]) -> dict[Key, str]:
    return {k: a.id for c, a in zip(clusters, out, strict=True) for k in c}


def uuid_of(key: Key, salt: str = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"{key[0]}\x1f{key[1]}{salt}"))


def test_first_run_mints_from_the_smallest_key() -> None:
    out = assign([[C, A], [E]], {})
    assert out == [Assigned(uuid_of(A)), Assigned(uuid_of(E))]
    assert [a.change for a in out] == ["kept_or_new", "kept_or_new"]


def test_unchanged_input_gives_identical_ids() -> None:
    clusters = [[A, C], [B], [D, E]]
    first = assign(clusters, {})
    second = assign(clusters, previous_of(clusters, first))
    assert second == first
    assert all(a.absorbed == () and a.split_from == () for a in second)


def test_ids_follow_their_cluster_not_its_position() -> None:
    clusters = [[A, C], [B], [D, E]]
    previous = previous_of(clusters, assign(clusters, {}))
    reordered = [clusters[2], clusters[0], clusters[1]]
    out = assign(reordered, previous)
    assert [a.id for a in out] == [previous[D], previous[A], previous[B]]


def test_mint_skips_taken_ids_deterministically() -> None:
    assert mint([B, A], set()) == uuid_of(A)
    assert mint([A], {uuid_of(A)}) == uuid_of(A, "#1")
    assert mint([A], {uuid_of(A), uuid_of(A, "#1")}) == uuid_of(A, "#2")


def test_new_cluster_does_not_take_an_id_already_in_use() -> None:
    # A was the smallest key of a customer that keeps its ID; A now leaves on its own.
    old = mint([A, B, C], set())
    previous = {A: old, B: old, C: old}
    out = assign([[A], [B, C]], previous)
    assert out[1] == Assigned(old)
    assert out[0].id != old
    assert out[0].id == uuid_of(A, "#1")


def test_two_new_clusters_get_distinct_ids() -> None:
    out = assign(
        [[A], [B]], {A: uuid_of(B)}
    )  # A's old ID happens to be B's natural one
    assert out[0].id == uuid_of(B)
    assert out[1].id == uuid_of(B, "#1")


def test_merge_keeps_the_id_with_most_records_and_records_the_absorbed() -> None:
    previous = {A: "id-z", B: "id-z", C: "id-z", D: "id-a"}
    (merged,) = assign([[A, B, C, D]], previous)
    # id-z holds three of the records: it wins although id-a sorts first.
    assert merged == Assigned("id-z", absorbed=("id-a",))
    assert merged.change == "merge"


def test_merge_of_equal_parts_keeps_the_smaller_id() -> None:
    previous = {A: "id-2", B: "id-2", C: "id-1", D: "id-1"}
    (merged,) = assign([[A, B, C, D]], previous)
    assert merged == Assigned("id-1", absorbed=("id-2",))


def test_split_larger_part_keeps_the_id_other_mints_with_lineage() -> None:
    old = mint([A, B, C], set())
    previous = {A: old, B: old, C: old}
    out = assign([[A], [B, C]], previous)
    assert out[1].id == old
    assert out[1].change == "kept_or_new"
    assert out[0].split_from == (old,)
    assert out[0].change == "split"
    assert out[0].id not in set(previous.values())


def test_split_into_equal_parts_gives_the_id_to_the_part_with_the_smallest_key() -> (
    None
):
    previous = {A: "id", B: "id", C: "id", D: "id"}
    out = assign([[C, D], [A, B]], previous)
    assert out[1] == Assigned("id")
    assert out[0].split_from == ("id",)
    assert out[0].id == uuid_of(C)


def test_split_and_merge_at_once() -> None:
    # id-1 (A, B, C) loses C to id-2 (D); C joins D's customer.
    previous = {A: "id-1", B: "id-1", C: "id-1", D: "id-2"}
    out = assign([[A, B], [C, D]], previous)
    assert out[0] == Assigned("id-1")
    assert out[1] == Assigned("id-2")  # id-1 has its home elsewhere: nothing absorbed


def test_new_records_join_without_changing_ids() -> None:
    clusters = [[A], [B, C], [D]]
    first = assign(clusters, {})
    previous = previous_of(clusters, first)
    updated = [[A], [B, C, ("ticketing", "T-1")], [D], [E]]
    out = assign(updated, previous)
    assert [a.id for a in out[:3]] == [a.id for a in first]
    assert all(a.absorbed == () and a.split_from == () for a in out)
    assert out[3].id == uuid_of(E)
    assert out[3].id not in {a.id for a in first}


def test_an_update_to_one_customer_leaves_all_others_alone() -> None:
    rng = random.Random(7)
    keys = [("crm", f"{i:03d}") for i in range(60)]
    rng.shuffle(keys)
    clusters = [keys[i : i + 3] for i in range(0, 60, 3)]
    first = assign(clusters, {})
    previous = previous_of(clusters, first)
    # Customer 5 gains two new records and a new customer appears; nobody else changes.
    updated = [c[:] for c in clusters]
    updated[5] += [("web_form", "new-1"), ("web_form", "new-2")]
    updated.append([("web_form", "new-3")])
    out = assign(updated, previous)
    assert out[:20] == first
    assert out[20].id not in {a.id for a in first}
    assert out[20].split_from == ()


def test_records_without_a_previous_id_do_not_count() -> None:
    previous = {A: "id-a"}
    (out,) = assign([[A, B, C]], previous)
    assert out == Assigned("id-a")
