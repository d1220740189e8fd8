"""Tombstones: what an erasure leaves behind so that the erased person is not imported again.

A tombstone is a keyed hash (HMAC-SHA256) of one identifier of the erased person: a source
record (``record:web_form/WF-1``) or a contact point as touchpoints look it up
(``email:ada@example.com``, ``phone:+393...``, ``app:u-1``). The hash is keyed because a
plain hash of an email is reversed by hashing a list of emails; the key comes from
``C360_PRIVACY_KEY`` or, on the default setup, from a file (mode 600) created beside the
managed Neo4j's folder, and never enters the graph.

A later import skips what a tombstone names, and counts it without printing it: a record
with a tombstoned key, a touchpoint or referral that reaches its person only through such a
record, or through a tombstoned contact point nobody else has.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from linkage.ids import Key
from linkage.records import Quarantined, SourceRecord
from linkage.referrals import Mention
from linkage.touchpoints import Directory, Owner, Touchpoint

KEY_ENV = "C360_PRIVACY_KEY"
T = TypeVar("T")
SUPPRESSED = "suppressed: it belongs to a person erased on request (tombstone)"


def record_ident(key: Key) -> str:
    return f"record:{key[0]}/{key[1]}"


def privacy_key(path: Path | None = None) -> bytes:
    """``$C360_PRIVACY_KEY``, else the key file (created with a random key if missing)."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode("utf-8")
    if path is None:
        from graph.server import default_home  # the managed setup's folder

        path = default_home().parent / "privacy.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text(encoding="ascii").strip().encode("ascii")
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


def digest(key: bytes, ident: str) -> str:
    """The tombstone of one identifier: HMAC-SHA256, hex."""
    return hmac.new(key, ident.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class Tombstones:
    """The tombstones in the graph, and what an import skipped because of them."""

    key: bytes
    stones: frozenset[str]
    skipped: dict[str, int] = field(default_factory=dict)  # what -> how many

    def __bool__(self) -> bool:
        return bool(self.stones)

    def has(self, ident: str) -> bool:
        return digest(self.key, ident) in self.stones

    def _skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1

    def records(self, records: Iterable[SourceRecord]) -> list[SourceRecord]:
        """The records no tombstone names."""
        return self._keep(
            records, lambda r: self.has(record_ident(r.key)), "source records"
        )

    def hides(self, owner: Owner, directory: Directory) -> bool:
        """Whether ``owner`` reaches only an erased person."""
        if owner.kind in {"self", "record"}:
            return self.has(record_ident((owner.value[0], owner.value[1])))
        if owner.kind == "contact":
            value = owner.value[0]
            return value not in directory.by_contact and self.has(value)
        return False

    def touchpoints(
        self, touchpoints: Iterable[Touchpoint], directory: Directory
    ) -> Iterator[Touchpoint]:
        """As they come (there are millions): those of an erased person are counted."""
        for t in touchpoints:
            if self.stones and self.hides(t.owner, directory):
                self._skip("touchpoints")
            else:
                yield t

    def mentions(
        self, mentions: Iterable[Mention], directory: Directory
    ) -> list[Mention]:
        def erased(m: Mention) -> bool:
            source, _, source_id = m.evidence.partition("/")
            return (
                self.hides(m.referrer, directory)
                or self.hides(m.referee, directory)
                or self.has(record_ident((source, source_id)))
            )

        return self._keep(mentions, erased, "referrals")

    def _keep(
        self, items: Iterable[T], erased: Callable[[T], bool], what: str
    ) -> list[T]:
        """``items`` except those ``erased`` says belong to an erased person (counted)."""
        if not self.stones:
            return list(items)
        kept = []
        for item in items:
            if erased(item):
                self._skip(what)
            else:
                kept.append(item)
        return kept

    def report(self) -> list[Quarantined]:
        """One entry per kind skipped, with the count and without any identifier."""
        return [
            Quarantined(what, SUPPRESSED, str(n))
            for what, n in sorted(self.skipped.items())
        ]


NONE = Tombstones(b"", frozenset())
