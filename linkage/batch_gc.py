"""Python's cyclic garbage collector, paused while a batch builds its data.

A batch resolution allocates millions of small objects that live until it ends (records,
touchpoints, comparison keys, clusters) and makes almost no reference cycles. Each full
collection walks all of them again, and the collector runs them more often the more there
are: at 100k people it took about a third of the run. Reference counting still frees every
object that is not in a cycle.

When the batch ends, what it made is moved out of the collector's sight (``gc.freeze``)
before collection resumes. Otherwise the first collections after the batch walk all of it,
up to three times as it ages through the generations (3 s a walk at 100k people), for
objects that reference counting frees anyway. The cost: a cycle made during the batch is
never collected. A batch makes none (at 100k people, a full collection after it found
no garbage at all).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector's state as it was afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()
