"""An append-only sequence that keeps only its last chunk in memory and the rest on disk.

Touchpoints outnumber source records two to one, and nothing reads them until the customers
are resolved; held as Python objects they were a quarter of the resolver's peak memory. A
spool writes each full chunk to an anonymous temporary file (gone with the process) and reads
the chunks back, in order, each time it is iterated. Items go to disk as built-in types
through ``marshal``: several times faster than pickling objects, and reading it back runs no
code, so the file cannot be made to execute anything.

A spool also carries items between processes: the ingest helper ``hand_off``s its spools
(a named file and its chunk table) and the main process ``receive``s them, so what the
helper read never passes through a pipe or through pickling.
"""

from __future__ import annotations

import bisect
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Generic, NamedTuple, TypeVar

T = TypeVar("T")
PREFIX = "c360-spool-"


class _Chunk(NamedTuple):
    file: IO[bytes]
    offset: int
    length: int
    items: int


class HandOff(NamedTuple):
    """A spool written out for another process: its file and (offset, length, items) per chunk."""

    path: str
    chunks: tuple[tuple[int, int, int], ...]


class Spool(Generic[T]):
    """Append, extend, ``len`` and iterate (any number of times, in append order).

    ``encode`` turns an item into built-in types (tuples, dicts, strings, numbers, None);
    ``decode`` builds the item again.
    """

    def __init__(
        self,
        encode: Callable[[T], Any],
        decode: Callable[[Any], T],
        chunk: int = 20_000,
        named: bool = False,
    ) -> None:
        """``named``: the file gets a name, so that the spool can be handed off."""
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.encode, self.decode, self.chunk = encode, decode, chunk
        self._buffer: list[T] = []
        self._file: IO[bytes] | None = None  # the file this spool writes its chunks to
        self._named = named  # a file with a path, so that it can be handed off
        self._path = ""
        self._chunks: list[_Chunk] = []
        self._starts: list[int] = []  # the position of each chunk's first item
        self._written = 0

    def append(self, item: T) -> None:
        self._buffer.append(item)
        if len(self._buffer) >= self.chunk:
            self._spill()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def __len__(self) -> int:
        return self._written + len(self._buffer)

    def __iter__(self) -> Iterator[T]:
        # By position, as a list iterates: what is appended meanwhile is seen too.
        pos = 0
        while pos < len(self):
            if pos >= self._written:
                yield self._buffer[pos - self._written]
                pos += 1
                continue
            at = bisect.bisect_right(self._starts, pos) - 1
            chunk = self._chunks[at]
            chunk.file.seek(chunk.offset)
            data = chunk.file.read(chunk.length)
            items = marshal.loads(data)  # noqa: S302 - our own file, and it runs no code
            for plain in items[pos - self._starts[at] :]:
                yield self.decode(plain)
                pos += 1

    def adopt(self, other: Spool[T]) -> None:
        """Move ``other``'s items to the end of this spool; its file comes along, uncopied."""
        self._spill()
        other._spill()
        for c in other._chunks:
            self._add(c)
        other._chunks, other._starts, other._written = [], [], 0
        other._file = None

    def hand_off(self) -> HandOff:
        """Everything written to a named file, for ``receive`` in another process.

        The receiver deletes the file once it has it open; this spool is empty afterwards.
        """
        if not self._named:
            raise ValueError("only a spool made with named=True can be handed off")
        self._spill()
        if self._file is None:  # nothing was ever appended: an empty file says so
            self._open()
        assert self._file is not None  # noqa: S101 - just opened
        self._file.close()
        out = HandOff(self._path, tuple((c[1], c[2], c[3]) for c in self._chunks))
        self._file = None
        self._chunks, self._starts, self._written = [], [], 0
        return out

    def receive(self, handoff: HandOff) -> None:
        """Append what another process handed off; its file is unlinked here, kept open."""
        self._spill()
        fh = open(handoff.path, "rb")  # noqa: SIM115 - lives as long as the spool
        os.unlink(handoff.path)
        for offset, length, items in handoff.chunks:
            self._add(_Chunk(fh, offset, length, items))

    def discard(self) -> None:
        """Forget every item; this spool's own file is closed (and a named one deleted)."""
        if self._file is not None:
            self._file.close()
            if self._named:
                os.unlink(self._path)
        self._file, self._buffer = None, []
        self._chunks, self._starts, self._written = [], [], 0

    def _add(self, chunk: _Chunk) -> None:
        self._chunks.append(chunk)
        self._starts.append(self._written)
        self._written += chunk.items

    def _open(self) -> None:
        if self._named:
            fd, self._path = tempfile.mkstemp(prefix=PREFIX)
            self._file = os.fdopen(fd, "w+b")
        else:
            self._file = tempfile.TemporaryFile(prefix=PREFIX)  # noqa: SIM115 - lives as long as the spool

    def _spill(self) -> None:
        if not self._buffer:
            return
        if self._file is None:
            self._open()
        assert self._file is not None  # noqa: S101 - just opened
        data = marshal.dumps(list(map(self.encode, self._buffer)))
        offset = self._file.seek(0, 2)
        self._file.write(data)
        self._add(_Chunk(self._file, offset, len(data), len(self._buffer)))
        self._buffer = []
