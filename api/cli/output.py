"""What the CLI prints: progress lines with rate and ETA, and plain status lines."""

from __future__ import annotations

import sys
import time


def say(message: str) -> None:
    """A status line on stderr, so stdout stays clean for values scripts read."""
    print(f"c360: {message}", file=sys.stderr, flush=True)


class ProgressPrinter:
    """``persons: 1000/20000 (5%) 812/s ETA 23s``, at most every 2 s per stage and at the end."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self._started: dict[str, float] = {}
        self._last: dict[str, float] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done == 0:
            self._started[what] = now  # a stage starts: measure its rate from here
            self._last[what] = now
            return
        start = self._started.setdefault(what, now)
        if done < total and now - self._last.get(what, 0.0) < self.interval:
            return
        self._last[what] = now
        elapsed = now - start
        pct = 100 * done / total if total else 100
        if elapsed < 0.01:  # done elsewhere (a helper process): no rate to tell
            say(f"{what}: {done}/{total} ({pct:.0f}%)")
            return
        rate = done / elapsed
        eta = (total - done) / rate if rate and done < total else 0
        # Under one a second the units are coarse (percent, from neo4j-admin): the ETA tells.
        speed = f"{rate:,.0f}/s " if rate >= 1 else ""
        say(f"{what}: {done}/{total} ({pct:.0f}%) {speed}ETA {eta:.0f}s")
