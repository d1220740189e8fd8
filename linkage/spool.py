"""An append-only sequence that keeps only its last chunk in memory and the rest on disk.

Touchpoints outnumber source records two to one, and nothing reads them until the customers
are resolved; held as Python objects they were a quarter of the resolver's peak memory. A
spool writes each full chunk to an anonymous temporary file (gone with the process) and reads
the chunks back, in order, each time it is iterated. Items go to disk as built-in types
through ``marshal``: several times faster than pickling objects, and reading it back runs no
code, so the file cannot be made to execute anything.
"""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")


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
    ) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.encode, self.decode, self.chunk = encode, decode, chunk
        self._buffer: list[T] = []
        self._file: IO[bytes] | None = None
        self._chunks: list[
            tuple[int, int]
        ] = []  # (offset, length) of each written chunk
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
        # By position, as a list iterates: what is appended meanwhile is seen too. Every
        # written chunk holds exactly ``chunk`` items, so a position names its chunk.
        pos = 0
        while pos < len(self):
            if pos >= self._written:
                yield self._buffer[pos - self._written]
                pos += 1
                continue
            assert self._file is not None  # noqa: S101 - written chunks imply the file
            offset, length = self._chunks[pos // self.chunk]
            self._file.seek(offset)
            data = self._file.read(length)
            items = marshal.loads(data)  # noqa: S302 - our own file, and it runs no code
            for plain in items[pos % self.chunk :]:
                yield self.decode(plain)
                pos += 1

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="c360-spool-")  # noqa: SIM115 - lives as long as the spool
        data = marshal.dumps(list(map(self.encode, self._buffer)))
        offset = self._file.seek(0, 2)
        self._file.write(data)
        self._chunks.append((offset, len(data)))
        self._written += len(self._buffer)
        self._buffer = []
