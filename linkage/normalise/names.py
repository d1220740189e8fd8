"""Name keys for comparison: one Latin, case-folded spelling whatever the script or the source.

Source systems write the same person as "Müller", "MULLER", "Мюллер" or "O'Neil" / "ONeil".
The keys here are comparison keys only: callers keep the raw value beside them for display.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from pathlib import Path

from anyascii import anyascii
from nameparser.config import CONSTANTS

# Countries whose names are written family name first (in their own script and often in Latin).
FAMILY_NAME_FIRST_COUNTRIES = frozenset({"JP", "CN", "KR", "TW", "HU", "VN"})

# Words that begin a family name ("van den Brande", "da Luz", "Al Shammari"): nameparser's
# curated multilingual list (its full parser is 100x slower than a split needs to be).
FAMILY_PARTICLES = frozenset(CONSTANTS.prefixes)


def split_full_name(full: str, family_first: bool) -> tuple[str | None, str | None]:
    """'Joris van de Wal' -> ('Joris', 'van de Wal'); 'VAN DEN BRANDE TIMOTHEE' with
    ``family_first`` -> ('TIMOTHEE', 'VAN DEN BRANDE'). A family name is its particles
    plus one word; everything else is the given name."""
    parts = full.split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return None, parts[0]
    if family_first:
        end = 0
        while end < len(parts) - 2 and parts[end].lower() in FAMILY_PARTICLES:
            end += 1
        return " ".join(parts[end + 1 :]), " ".join(parts[: end + 1])
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in FAMILY_PARTICLES:
        start -= 1
    return " ".join(parts[:start]), " ".join(parts[start:])


NICKNAMES_CSV = Path(__file__).parents[1] / "data" / "nicknames.csv"

# Longer input is cut here before any work, so a pasted document can never make a key slow;
# the key itself is cut to the same length so that name_key stays idempotent.
MAX_NAME_CHARS = 200

# Apostrophes vanish ("O'Neil" == "ONeil"): people and systems drop them freely.
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc\u02bb\u0060\u00b4\u2032\u055a\u05f3")
# Separators between name parts become a space ("Bellini,Giuseppe", "Giuseppe (Beppe)").
_SEPARATORS = frozenset(",;/_&+|()[]{}")
_NOT_KEY = re.compile(r"[^a-z ]+")


def _keep(c: str) -> str:
    """Letters and marks go on to transliteration; hyphens and separators turn into spaces.

    Everything else (digits, dots, emoji, control characters) is dropped here, before
    anyascii would spell an emoji out as ":grinning:".
    """
    if c in _APOSTROPHES:
        return ""
    category = unicodedata.category(c)
    if category[0] in "LM":
        return c
    if c.isspace() or category == "Pd" or c in _SEPARATORS:
        return " "
    return ""


def name_key(raw: str | None) -> str | None:
    """The comparison key of a name: Latin letters a-z and single spaces, or None.

    NFKC, case-folded, transliterated to Latin (anyascii: Cyrillic, Greek, CJK, Arabic...),
    diacritics stripped, apostrophes removed, hyphens as spaces, other non-letters dropped.
    Only the first ``MAX_NAME_CHARS`` characters of ``raw`` are read. None for blank input
    or input without letters. Idempotent: ``name_key(name_key(x)) == name_key(x)``.

    >>> name_key("  Müller ")
    'muller'
    >>> name_key("Jean-Luc O'Neil")
    'jean luc oneil'
    """
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw[:MAX_NAME_CHARS]).casefold()
    text = "".join(_keep(c) for c in text)
    text = anyascii(text).lower().replace("'", "").replace("-", " ")
    text = " ".join(_NOT_KEY.sub("", text).split())
    text = text[:MAX_NAME_CHARS].rstrip()
    return text or None


def name_tokens(raw: str | None) -> tuple[str, ...]:
    """The sorted, unique words of the name key: swapped or multi-part names compare equal.

    >>> name_tokens("Bellini Giuseppe") == name_tokens("giuseppe  BELLINI")
    True
    """
    key = name_key(raw)
    return tuple(sorted(set(key.split()))) if key else ()


@functools.cache
def _table() -> tuple[dict[str, set[str]], frozenset[str]]:
    """Nickname key -> its formal keys, and every formal key, read once from
    ``linkage/data/nicknames.csv``."""
    formal_of: dict[str, set[str]] = {}
    formals: set[str] = set()
    with NICKNAMES_CSV.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            formal, nick = name_key(row.get("formal")), name_key(row.get("nickname"))
            if formal is None:
                continue
            formals.add(formal)
            if nick is not None:
                formal_of.setdefault(nick, set()).add(formal)
    return formal_of, frozenset(formals)


@functools.cache
def _nicknames() -> dict[str, str]:
    """Nickname key -> formal key.

    A formal name always maps to itself, even where another row lists it as a nickname.
    A nickname of several formal names (Max: Massimo, Maximilian) maps to the alphabetically
    first formal key, so the result never depends on the file's row order.
    """
    formal_of, formals = _table()
    table = {nick: min(options) for nick, options in formal_of.items()}
    table.update({formal: formal for formal in formals})
    return table


@functools.cache
def _formals() -> dict[str, tuple[str, ...]]:
    """Nickname key -> every formal key it can stand for (Max: massimo, maximilian); a
    formal name stands for itself only."""
    formal_of, formals = _table()
    return {
        nick: tuple(sorted(found))
        for nick, found in formal_of.items()
        if nick not in formals
    }


def given_name_formals(raw: str | None) -> tuple[str, ...]:
    """Every formal given-name key a name can stand for: several for an ambiguous nickname
    ("Max" -> massimo, maximilian), else the one ``given_name_canonical`` gives.

    >>> given_name_formals("Max"), given_name_formals("Massimo")
    (('massimo', 'maximilian'), ('massimo',))
    """
    canon = given_name_canonical(raw)
    if canon is None:
        return ()
    return _formals().get(name_key(raw) or "", (canon,))


def given_name_canonical(raw: str | None) -> str | None:
    """The formal given-name key behind a nickname ("Beppe" -> "giuseppe"), else the name key.

    The whole key is looked up (not each word); names not in the table come back as their
    ``name_key``. Ambiguous nicknames resolve to the alphabetically first formal name.

    >>> given_name_canonical("Beppe"), given_name_canonical("Bob")
    ('giuseppe', 'robert')
    """
    key = name_key(raw)
    if key is None:
        return None
    return _nicknames().get(key, key)


def display_name(first: str | None, last: str | None) -> str:
    """'Giuseppe Bellini' from its parts, tidy whitespace, never empty."""
    parts = [p.strip() for p in (first, last) if p and p.strip()]
    return " ".join(parts) or "(no name)"
