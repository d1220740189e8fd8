"""Scoring a clustering against truth: hand-computed cases, a brute-force oracle, the truth CSV."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from linkage.evaluate import (
    Key,
    Report,
    Scores,
    TruthFileError,
    cluster_scores,
    evaluate,
    examples,
    format_report,
    household_precision,
    name_only_share,
    pair_scores,
    pairwise,
    read_households,
    read_truth,
)

A, B, C, D = ("s", "a"), ("s", "b"), ("s", "c"), ("t", "d")


def _rounded(s: Scores) -> tuple[float, float, float, int, int, int]:
    return (
        round(s.precision, 6),
        round(s.recall, 6),
        round(s.f1, 6),
        s.true_positives,
        s.false_positives,
        s.false_negatives,
    )


# --- hand-computed cases ---------------------------------------------------------------


def test_perfect() -> None:
    truth = {A: "p1", B: "p1", C: "p2"}
    predicted = {A: "x", B: "x", C: "y"}
    assert pairwise(predicted, truth) == Scores(1.0, 1.0, 1.0, 1, 0, 0)
    assert cluster_scores(predicted, truth) == Scores(1.0, 1.0, 1.0, 2, 0, 0)
    assert examples(predicted, truth) == ([], [])


def test_one_false_merge() -> None:
    truth = {A: "p1", B: "p1", C: "p2"}
    predicted = {A: "x", B: "x", C: "x"}
    # 3 predicted pairs (ab, ac, bc), only ab is the same person.
    assert _rounded(pairwise(predicted, truth)) == (0.333333, 1.0, 0.5, 1, 2, 0)
    # One predicted cluster, two true ones, none exact.
    assert cluster_scores(predicted, truth) == Scores(0.0, 0.0, 0.0, 0, 1, 2)
    assert examples(predicted, truth) == ([(A, C)], [])


def test_one_missed_merge() -> None:
    truth = {A: "p1", B: "p1", C: "p1"}
    predicted = {A: "x", B: "x", C: "y"}
    # 1 predicted pair (ab, right), 3 true pairs: ac and bc are missed.
    assert _rounded(pairwise(predicted, truth)) == (1.0, 0.333333, 0.5, 1, 0, 2)
    assert cluster_scores(predicted, truth) == Scores(0.0, 0.0, 0.0, 0, 2, 1)
    assert examples(predicted, truth) == ([], [(A, C)])


def test_singletons_on_both_sides_are_perfect_by_convention() -> None:
    truth = {A: "p1", B: "p2", C: "p3"}
    predicted = {A: "x", B: "y", C: "z"}
    assert pairwise(predicted, truth) == Scores(1.0, 1.0, 1.0, 0, 0, 0)
    assert cluster_scores(predicted, truth) == Scores(1.0, 1.0, 1.0, 3, 0, 0)


def test_no_predicted_pairs_is_precise_but_recalls_nothing() -> None:
    truth = {A: "p1", B: "p1"}
    predicted = {A: "x", B: "y"}
    assert pairwise(predicted, truth) == Scores(1.0, 0.0, 0.0, 0, 0, 1)


def test_empty_inputs() -> None:
    assert pairwise({}, {}) == Scores(1.0, 1.0, 1.0, 0, 0, 0)
    assert cluster_scores({}, {}) == Scores(1.0, 1.0, 1.0, 0, 0, 0)
    assert pair_scores([], {}) == Scores(1.0, 1.0, 1.0, 0, 0, 0)


def test_keys_missing_on_one_side_are_counted_not_scored() -> None:
    truth = {A: "p1", B: "p1", C: "p2", ("t", "only-truth"): "p2"}
    predicted = {A: "x", B: "x", C: "y", ("u", "only-pred"): "x"}
    assert pairwise(predicted, truth) == Scores(1.0, 1.0, 1.0, 1, 0, 0)
    assert cluster_scores(predicted, truth) == Scores(1.0, 1.0, 1.0, 2, 0, 0)
    report = evaluate(predicted, truth)
    assert (report.records, report.only_predicted, report.only_truth) == (3, 1, 1)


def test_cluster_ids_are_opaque_labels() -> None:
    truth = {A: "x", B: "x", C: "y"}
    predicted = {A: "y", B: "y", C: "x"}  # same names, swapped: still a perfect match
    assert pairwise(predicted, truth).f1 == 1.0
    assert cluster_scores(predicted, truth).f1 == 1.0


def test_examples_are_sorted_one_per_extra_person_and_limited() -> None:
    truth = {("s", f"{i}"): f"p{i % 4}" for i in range(8)}  # 4 people, 2 records each
    predicted = dict.fromkeys(truth, "all")  # everyone merged
    false_merges, missed = examples(predicted, truth, limit=10)
    assert false_merges == [
        (("s", "0"), ("s", "1")),
        (("s", "0"), ("s", "2")),
        (("s", "0"), ("s", "3")),
    ]
    assert missed == []
    assert examples(predicted, truth, limit=2)[0] == false_merges[:2]
    assert examples(predicted, truth, limit=0) == ([], [])


# --- pairs (link-only) -----------------------------------------------------------------


def test_pair_scores_unordered_deduplicated() -> None:
    truth = {A: "p1", D: "p1", B: "p2", C: "p3"}
    predicted = [(A, D), (D, A), (A, D), (B, C), (A, A), (A, ("x", "unknown"))]
    # {A,D} right, {B,C} wrong; self-pairs and unknown keys ignored; one true pair.
    assert pair_scores(predicted, truth) == Scores(0.5, 1.0, 2 / 3, 1, 1, 0)


# --- households ------------------------------------------------------------------------


def test_household_precision() -> None:
    # Household h1: partners p1 (records a, b) and p2 (c). Household h2: p3 (d, e).
    e = ("t", "e")
    truth = {A: "p1", B: "p1", C: "p2", D: "p3", e: "p3"}
    households = {A: "h1", B: "h1", C: "h1", D: "h2", e: "h2"}
    # Resolver merges the partners and leaves p3's records apart.
    predicted = {A: "x", B: "x", C: "x", D: "y", e: "z"}
    s = household_precision(predicted, truth, households)
    # Predicted-together in a household: ab, ac, bc; same person: ab -> 1/3.
    # Same-person pairs in a household: ab, de; found: ab -> 1/2.
    assert (s.true_positives, s.false_positives, s.false_negatives) == (1, 2, 1)
    assert round(s.precision, 6) == 0.333333 and s.recall == 0.5


def test_household_ignores_pairs_across_households() -> None:
    truth = {A: "p1", B: "p2"}
    households = {A: "h1", B: "h2"}
    predicted = {A: "x", B: "x"}  # a false merge, but not within a household
    assert household_precision(predicted, truth, households) == Scores(
        1.0, 1.0, 1.0, 0, 0, 0
    )
    assert pairwise(predicted, truth).false_positives == 1


# --- brute-force oracle ----------------------------------------------------------------


def _random_case(
    seed: int,
) -> tuple[dict[Key, str], dict[Key, str], dict[Key, str]]:
    rng = random.Random(seed)
    n = rng.randint(1, 300)
    keys = [(rng.choice(["crm", "app", "web"]), f"{i}") for i in range(n)]
    people = max(1, n // rng.randint(1, 6))
    truth = {k: f"p{rng.randrange(people)}" for k in keys}
    predicted: dict[Key, str] = {}
    for k in keys:
        roll = rng.random()
        if roll < 0.7:
            predicted[k] = "c" + truth[k]  # right
        elif roll < 0.85:
            predicted[k] = f"c{rng.randrange(people)}"  # merged elsewhere
        elif roll < 0.95:
            predicted[k] = f"solo{k[1]}"  # split off
        # else: missing from the prediction
    for i in range(rng.randint(0, 5)):
        predicted[("extra", f"{i}")] = f"c{rng.randrange(people)}"
    households = {
        k: f"h{int(p[1:]) // 2}" for k, p in truth.items() if rng.random() < 0.9
    }
    return predicted, truth, households


def _brute_pairs(
    predicted: dict[Key, str], truth: dict[Key, str], households: dict[Key, str] | None
) -> tuple[int, int, int]:
    keys = sorted(k for k in predicted if k in truth)
    if households is not None:
        keys = [k for k in keys if k in households]
    tp = fp = fn = 0
    for a, b in itertools.combinations(keys, 2):
        if households is not None and households[a] != households[b]:
            continue
        together, same = predicted[a] == predicted[b], truth[a] == truth[b]
        tp += together and same
        fp += together and not same
        fn += same and not together
    return tp, fp, fn


@pytest.mark.parametrize("seed", range(25))
def test_pairwise_matches_brute_force(seed: int) -> None:
    predicted, truth, households = _random_case(seed)
    s = pairwise(predicted, truth)
    assert (s.true_positives, s.false_positives, s.false_negatives) == _brute_pairs(
        predicted, truth, None
    )
    h = household_precision(predicted, truth, households)
    assert (h.true_positives, h.false_positives, h.false_negatives) == _brute_pairs(
        predicted, truth, households
    )
    both = [k for k in predicted if k in truth]
    pairs = [
        (a, b)
        for a, b in itertools.combinations(both, 2)
        if predicted[a] == predicted[b]
    ]
    assert pair_scores(pairs, {k: truth[k] for k in both}) == s


@pytest.mark.parametrize("seed", range(25))
def test_cluster_scores_and_examples_match_brute_force(seed: int) -> None:
    predicted, truth, _ = _random_case(seed)
    both = {k for k in predicted if k in truth}

    def sets(m: dict[Key, str]) -> set[frozenset[Key]]:
        groups: dict[str, set[Key]] = {}
        for k in both:
            groups.setdefault(m[k], set()).add(k)
        return {frozenset(g) for g in groups.values()}

    pred_sets, true_sets = sets(predicted), sets(truth)
    c = cluster_scores(predicted, truth)
    exact = len(pred_sets & true_sets)
    assert (c.true_positives, c.false_positives, c.false_negatives) == (
        exact,
        len(pred_sets) - exact,
        len(true_sets) - exact,
    )

    false_merges, missed = examples(predicted, truth, limit=5)
    assert false_merges == sorted(false_merges) and missed == sorted(missed)
    assert all(a < b and {a, b} <= both for a, b in false_merges + missed)
    assert all(
        predicted[a] == predicted[b] and truth[a] != truth[b] for a, b in false_merges
    )
    assert all(predicted[a] != predicted[b] and truth[a] == truth[b] for a, b in missed)
    s = pairwise(predicted, truth)
    assert bool(false_merges) == (s.false_positives > 0)
    assert bool(missed) == (s.false_negatives > 0)
    assert examples(predicted, truth, limit=5) == (false_merges, missed)


def test_large_input_completes() -> None:
    """200k records with clusters of thousands: only a completion check, not a timing."""
    rng = random.Random(7)
    n = 200_000
    truth = {("src", f"{i}"): f"p{i // 4}" for i in range(n)}
    predicted = {
        k: f"c{rng.randrange(40)}" if rng.random() < 0.5 else p
        for k, p in truth.items()
    }
    s = pairwise(predicted, truth)
    assert 0.0 < s.precision < 1.0 and 0.0 < s.recall < 1.0
    false_merges, missed = examples(predicted, truth)
    assert len(false_merges) == 5 and len(missed) == 5


# --- output ----------------------------------------------------------------------------


def test_line_format() -> None:
    assert Scores(0.98765, 1.0, 2 / 3, 1, 2, 3).line() == (
        "precision=0.9877 recall=1.0000 f1=0.6667"
    )


def test_format_report_ends_with_pairwise_line() -> None:
    truth = {A: "p1", B: "p1", C: "p2", D: "p2"}
    households = {A: "h1", B: "h1", C: "h1", D: "h1"}
    predicted = {A: "x", B: "y", C: "x", D: "x", ("u", "z"): "x"}
    report = evaluate(predicted, truth, households)
    assert isinstance(report, Report) and report.household is not None
    lines = format_report(report)
    assert lines[-1] == report.pairwise.line()
    assert "false merge: s:a + s:c" in lines
    assert "missed merge: s:a + s:b" in lines
    assert lines[0] == "records: 4 scored, 1 only in prediction, 0 only in truth"
    assert evaluate(predicted, truth).household is None
    assert not any(
        line.startswith("households:")
        for line in format_report(evaluate(predicted, truth))
    )


# --- truth CSV -------------------------------------------------------------------------


def test_read_truth_and_households(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text(
        "source,source_id,person_id,household_id,extra\n"
        "dealer_crm,IT-003/A-1,P1,H1,x\n"
        "owner_app,u-1,P1,H1,y\n"
        "web_form,w-9,P2,,z\n",
        encoding="utf-8",
    )
    assert read_truth(path) == {
        ("dealer_crm", "IT-003/A-1"): "P1",
        ("owner_app", "u-1"): "P1",
        ("web_form", "w-9"): "P2",
    }
    assert read_households(path) == {
        ("dealer_crm", "IT-003/A-1"): "H1",
        ("owner_app", "u-1"): "H1",
    }


def test_read_households_without_column_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    path.write_text("source,source_id,person_id\ns,1,P1\n", encoding="utf-8")
    assert read_households(path) == {}
    assert read_truth(path) == {("s", "1"): "P1"}


def test_read_truth_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("source,source_id,household_id\ns,1,H1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv.*person_id") as info:
        read_truth(path)
    assert isinstance(info.value, TruthFileError)


def test_read_truth_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match=r"empty\.csv.*empty truth file"):
        read_truth(path)


def test_read_truth_contradictory_rows(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text(
        "source,source_id,person_id\ns,1,P1\ns,1,P1\ns,1,P2\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"twice\.csv:4: s:1 is person 'P2'"):
        read_truth(path)


def test_read_truth_empty_value(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("source,source_id,person_id\ns,1,\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"blank\.csv:2: empty"):
        read_truth(path)


def test_name_only_share_counts_people_no_identifier_chain_connects() -> None:
    from linkage.records import SourceRecord

    def rec(sid: str, email: str | None, phone: str | None = None) -> SourceRecord:
        return SourceRecord(
            "web_form", sid, None, "Anna", "Keller", email, phone, "DE", None,
            email, phone,
        )  # fmt: skip

    records = [
        rec("1", "anna@example.org"),
        rec("2", "anna@example.org", "+4915112345678"),
        rec("3", None, "+4915112345678"),  # chained through the phone
        rec("4", "keller@example.org"),
        rec("5", "other@example.org"),  # the same name, no shared identifier
        rec("6", "alone@example.org"),  # a one-record person does not count
    ]
    truth = {r.key: p for r, p in zip(records, "AAABBC", strict=True)}
    assert name_only_share(records, truth) == 0.5
