"""Referral influence: descendants, conversions and the scaled PageRank."""

from __future__ import annotations

import pytest

from graph.influence import scores


def test_scores_on_a_small_referral_forest() -> None:
    # A brought B and D; B brought C. E brought F.
    edges = [("A", "B"), ("B", "C"), ("A", "D"), ("E", "F")]
    rows = {r["id"]: r for r in scores(edges, ordered={"C", "F", "A"})}
    assert sorted(rows) == ["A", "B", "C", "D", "E", "F"]
    assert {k: r["descendants"] for k, r in rows.items()} == {
        "A": 3,
        "B": 1,
        "C": 0,
        "D": 0,
        "E": 1,
        "F": 0,
    }
    # Only the people below count, not the referrer's own order.
    assert {k: r["conversions"] for k, r in rows.items()} == {
        "A": 1,
        "B": 1,
        "C": 0,
        "D": 0,
        "E": 1,
        "F": 0,
    }
    influence = {k: r["influence"] for k, r in rows.items()}
    assert sum(influence.values()) == pytest.approx(len(rows), abs=1e-4)
    # Credit flows up: A (whose referee brought someone) > E (one dead end) > the leaves.
    assert influence["A"] > influence["B"] > influence["C"]
    assert influence["A"] > influence["E"] > influence["F"]
    assert influence["C"] == influence["D"] == influence["F"]
    assert scores(edges, set()) == scores(list(reversed(edges)), set())  # order-free


def test_no_referrals_no_scores() -> None:
    assert scores([], {"A"}) == []
