"""The ingest spool: touchpoints written to disk chunk by chunk come back equal and in order,
and the batch pauses Python's cyclic collector only while it runs."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from linkage import batch_gc
from linkage import touchpoints as tp
from linkage.generate.run import generate
from linkage.sources import ingest, load_sources
from linkage.spool import Spool


def test_generated_touchpoints_come_back_from_disk_equal_and_in_order(
    tmp_path: Path,
) -> None:
    generate(60, 3, tmp_path)
    read = list(ingest(load_sources(tmp_path / "sources.toml")).touchpoints)
    assert len(read) > 100
    spool = Spool(tp.to_plain, tp.from_plain, chunk=7)  # most of them on disk
    spool.extend(read)
    assert len(spool) == len(read)
    back = list(spool)
    assert back == read
    assert all(isinstance(t.owner, tp.Owner) for t in back)
    assert list(spool) == read  # read again: the file is kept


def test_appending_while_iterating_keeps_the_order() -> None:
    spool: Spool[int] = Spool(lambda i: i, int, chunk=2)
    spool.extend(range(5))
    seen = []
    for i in spool:
        seen.append(i)
        if i == 1:
            spool.extend([5, 6, 7])  # spills a chunk between two reads of the file
    assert seen[:5] == [0, 1, 2, 3, 4]
    assert list(spool) == list(range(8))
    with pytest.raises(ValueError, match="at least 1"):
        Spool(lambda i: i, int, chunk=0)


def test_the_collector_is_paused_in_the_block_and_restored_after() -> None:
    assert gc.isenabled()
    with batch_gc.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), batch_gc.paused():
        raise RuntimeError("a failed batch")
    assert gc.isenabled()
    gc.disable()
    try:
        with batch_gc.paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


def test_what_a_batch_made_is_left_out_of_later_collections() -> None:
    with batch_gc.paused():
        made = [[i] for i in range(1000)]
    young = {id(o) for g in range(3) for o in gc.get_objects(generation=g)}
    assert id(made) not in young and id(made[0]) not in young
    assert gc.get_freeze_count() >= len(made)
    after = [0]
    assert id(after) in {id(o) for o in gc.get_objects(generation=0)}


def test_spools_move_between_spools_and_processes_without_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first: Spool[int] = Spool(lambda i: i, int, chunk=3)
    first.extend(range(4))
    other: Spool[int] = Spool(lambda i: i, int, chunk=2)
    other.extend(range(4, 9))
    first.adopt(other)  # chunks of other sizes, and other's file, come along
    assert list(first) == list(range(9)) and len(other) == 0
    first.append(9)
    assert list(first) == list(range(10))
    sent: Spool[int] = Spool(lambda i: i, int, chunk=2, named=True)
    sent.extend(range(10, 15))
    handoff = sent.hand_off()
    assert Path(handoff.path).exists() and len(sent) == 0
    first.receive(handoff)
    assert not Path(handoff.path).exists()  # unlinked once open: gone with the process
    assert list(first) == list(range(15))
    with pytest.raises(ValueError, match="named=True"):
        first.hand_off()
    dropped: Spool[int] = Spool(lambda i: i, int, chunk=1, named=True)
    dropped.extend(range(3))
    assert len(list(tmp_path.glob("c360-spool-*"))) == 1
    dropped.discard()
    assert list(tmp_path.glob("c360-spool-*")) == [] and list(dropped) == []
