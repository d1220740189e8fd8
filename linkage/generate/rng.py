"""The generator's random source: ``random.Random`` with a shorter way to ``randint``."""

from __future__ import annotations

import random


class Rng(random.Random):
    """``random.Random`` whose ``randint`` skips the general checks of ``randrange``.

    A person takes ~35 ``randint`` draws (times of day, days, counts), and the stdlib one
    goes through three Python functions before ``getrandbits``: about 5% of a run. This one
    draws the same way as ``Random._randbelow`` (``getrandbits`` of the range's bit length
    until the value fits), so a seed gives the same numbers as ``random.Random``.
    """

    def randint(self, a: int, b: int) -> int:
        n = b - a + 1
        if n <= 0:
            raise ValueError(f"empty range for randint({a}, {b})")
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r
