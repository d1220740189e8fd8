"""The ingest helper process: ``python -m linkage.ingest_helper`` reads sources for ``ingest``.

It reads a pickled list of (position, SourceSpec) on stdin and writes back, pickled,
``("ok", shipped)`` or ``("error", exception)``: the records and touchpoints themselves wait
in spool files (see ``linkage.spool``). A plain child process, not ``multiprocessing``:
that one would import the caller's main module again, which a script without a
``__main__`` guard cannot survive. Both ends are this program, so the pickles are trusted.
"""

from __future__ import annotations

import pickle
import sys

from linkage.sources import read_in_helper


def main() -> None:
    jobs = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - written by our own parent
    try:
        reply: tuple[str, object] = ("ok", read_in_helper(jobs))
    except Exception as exc:
        reply = ("error", exc)
    sys.stdout.buffer.write(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
