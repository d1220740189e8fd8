"""Python's cyclic garbage collector, paused while a batch builds its data.

A batch resolution allocates millions of small objects that live until it ends (records,
touchpoints, comparison keys, clusters) and makes almost no reference cycles. Each full
collection walks all of them again, and the collector runs them more often the more there
are: at 100k people it took about a third of the run. Reference counting still frees every
object that is not in a cycle; the few cycles made meanwhile (the libraries' own) wait for
the collector's next run after the batch, when it is enabled again.
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
            gc.enable()
