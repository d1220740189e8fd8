"""Work in a helper process, so that a batch uses a second core: ``Helper(func, *args)``.

The child is ``python -m linkage.helper``: it reads the pickled function (a module-level
one, pickled by name) and its arguments on stdin, and writes back, pickled, ``("ok",
result)`` or ``("error", exception)``, which ``result`` returns or raises here. Bulk data
goes both ways in spool files (see ``linkage.spool``), not through the pipe. A plain child
process, not ``multiprocessing``: that one would import the caller's main module again,
which a script without a ``__main__`` guard cannot survive. Both ends are this program, so
the pickles are trusted.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

R = TypeVar("R")
_peak_kb = 0  # the largest peak resident memory a helper of this process reported


def peak_mb() -> float:
    """The largest peak memory (VmHWM) of the helpers this process has run, in MB.

    A helper's own ``getrusage`` would count the parent's pages it held between fork and
    exec; VmHWM starts afresh with the new program.
    """
    return _peak_kb / 1024


def _own_peak_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # not Linux: nothing to report
        pass
    return 0


def processes(asked: int | None, work: int, worth_it_from: int) -> int:
    """How many processes share a job: ``asked``, or by default one per core this process
    may run on (its affinity) when ``work`` reaches ``worth_it_from``, else 1."""
    if asked is None:
        return len(os.sched_getaffinity(0)) if work >= worth_it_from else 1
    if asked < 1:
        raise ValueError("workers must be at least 1")
    return asked


class Helper(Generic[R]):
    """``func(*args)`` running in a child process from the moment this is made."""

    def __init__(self, func: Callable[..., R], *args: Any) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "linkage.helper"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdin is not None  # noqa: S101 - asked for above
        self._proc.stdin.write(pickle.dumps((func, args), pickle.HIGHEST_PROTOCOL))
        self._proc.stdin.close()

    def result(self) -> R:
        """What ``func`` returned (waiting for it), or what it raised, raised here."""
        assert self._proc.stdout is not None  # noqa: S101 - asked for in __init__
        data = self._proc.stdout.read()
        code = self._proc.wait()
        if not data:
            raise RuntimeError(f"a helper process stopped (exit code {code})")
        global _peak_kb
        outcome, value, peak = pickle.loads(data)  # noqa: S301 - our own child wrote it
        _peak_kb = max(_peak_kb, peak)
        if outcome == "error":
            raise value
        result: R = value
        return result

    def discard(self, cleanup: Callable[[R], None]) -> None:
        """Wait for a result no longer wanted and ``cleanup`` what it left (its files)."""
        try:
            result = self.result()
        except Exception:  # the error that stopped the caller is the one to report
            return
        cleanup(result)


def main() -> None:
    func, args = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our parent
    try:
        reply: tuple[str, object] = ("ok", func(*args))
    except Exception as exc:  # the parent raises it
        reply = ("error", exc)
    out = (*reply, _own_peak_kb())
    sys.stdout.buffer.write(pickle.dumps(out, pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
