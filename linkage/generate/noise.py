"""The identity noise real source systems show (domain brief §2), as small pure functions.

Each random function takes the caller's ``random.Random`` and nothing else random, so a seeded
run reproduces every typo. Kinds returned alongside a variant name what was done, for the
truth files that score the resolver.
"""

from __future__ import annotations

import bisect
import csv
import functools
import random
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from anyascii import anyascii

from linkage.generate.locales import (
    format_phone,
    is_reserved_domain,
    phone_kinds,
    split_e164,
)

NICKNAMES_CSV = Path(__file__).parents[1] / "data" / "nicknames.csv"

# --- keyboard typos --------------------------------------------------------------------------

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    """QWERTY keys next to each letter or digit (same row, and the staggered rows around it)."""
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, key in enumerate(row):
            near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            if r > 1:  # letters: the row above sits half a key to the right
                near += [_ROWS[r - 1][i] for i in (c, c + 1) if i < len(_ROWS[r - 1])]
            if 0 < r < len(_ROWS) - 1:
                near += [
                    _ROWS[r + 1][i] for i in (c - 1, c) if 0 <= i < len(_ROWS[r + 1])
                ]
            out[key] = "".join(near)
    return out


_NEAR = _neighbours()


def _substitute(text: str, i: int, rng: random.Random) -> str:
    ch = text[i]
    near = _NEAR.get(ch.lower(), "")
    if not near:
        return text
    new = near[rng.randrange(len(near))]
    return text[:i] + (new.upper() if ch.isupper() else new) + text[i + 1 :]


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: a neighbouring key, a dropped, doubled or swapped letter.

    Strings shorter than 2 come back unchanged; longer ones always change.
    """
    n = len(text)
    if n < 2:
        return text
    op = rng.random()
    i = rng.randrange(n)
    if op < 0.35:
        out = _substitute(text, i, rng)
    elif op < 0.6:
        out = text[:i] + text[i + 1 :]
    elif op < 0.75:
        out = text[:i] + text[i] + text[i:]
    else:
        j = min(i, n - 2)
        out = text[:j] + text[j + 1] + text[j] + text[j + 2 :]
    if out == text:  # no neighbour key, or two equal letters swapped: drop one instead
        out = text[:i] + text[i + 1 :]
    return out


# --- names -----------------------------------------------------------------------------------


@functools.cache
def nicknames() -> Mapping[str, tuple[str, ...]]:
    """Formal given name -> its nicknames, from ``linkage/data/nicknames.csv`` (keys as written)."""
    table: dict[str, list[str]] = {}
    with NICKNAMES_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            nicks = table.setdefault(row["formal"], [])
            if row["nickname"] not in nicks:
                nicks.append(row["nickname"])
    return {formal: tuple(nicks) for formal, nicks in table.items()}


@functools.cache
def _nicknames_folded() -> Mapping[str, tuple[str, ...]]:
    """The same table keyed without case or accents, so "JOSE" finds José's nicknames."""
    out: dict[str, tuple[str, ...]] = {}
    for formal, nicks in nicknames().items():
        key = strip_diacritics(formal).casefold()
        out[key] = out.get(key, ()) + tuple(
            n for n in nicks if n not in out.get(key, ())
        )
    return out


def nickname(given: str, rng: random.Random) -> str | None:
    """A nickname for this formal given name ("Giuseppe" -> "Beppe"), or None if it has none."""
    nicks = nicknames().get(given) or _nicknames_folded().get(
        strip_diacritics(given).casefold()
    )
    if not nicks:
        return None
    return nicks[rng.randrange(len(nicks))]


# Letters NFKD does not split into base + mark, folded the way people type them without the key.
_UNSPLIT = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ħ": "h",
        "Ħ": "H",
        "\u0131": "i",  # Turkish dotless i
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
    }
)


def strip_diacritics(text: str) -> str:
    """Accents dropped ("Müller" -> "Muller", "Łukasz" -> "Lukasz"), as typed without the keys."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNSPLIT))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_UMLAUTS = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "Ä": "Ae",
    "Ö": "Oe",
    "Ü": "Ue",
    "ß": "ss",
    "ẞ": "SS",
}


def german_umlaut_ascii(text: str) -> str:
    """The German ASCII spelling: "Müller" -> "Mueller", "MÜLLER" -> "MUELLER", "ß" -> "ss"."""
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    for i, ch in enumerate(text):
        rep = _UMLAUTS.get(ch)
        if rep is None:
            out.append(ch)
            continue
        nxt = text[i + 1 : i + 2]
        shouting = ch.isupper() and (
            nxt.isupper() or (not nxt and text[i - 1 : i].isupper())
        )
        out.append(rep.upper() if shouting else rep)
    return "".join(out)


def transliterate(text: str) -> str:
    """Any script to ASCII Latin ("Мюллер" -> "Myuller", "山田" -> "ShanTian")."""
    return anyascii(text)


def swap_names(given: str, family: str) -> tuple[str, str]:
    """Given and family name in each other's field, as forms filled in the wrong order give."""
    return family, given


def upper_case_name(text: str) -> str:
    """Ticketing systems shout: "Bellini Giuseppe" -> "BELLINI GIUSEPPE"."""
    return text.upper()


# --- emails ----------------------------------------------------------------------------------

_NOT_LOCAL = re.compile(r"[^a-z0-9._-]")
_EMAIL_PATTERNS = ("first.last", "f.last", "firstlastNN", "last.first", "first_last")
_EMAIL_WEIGHTS = (40, 15, 20, 10, 15)
_EMAIL_CUMULATIVE = tuple(
    sum(_EMAIL_WEIGHTS[: i + 1]) for i in range(len(_EMAIL_WEIGHTS))
)
PLUS_TAGS = ("garage", "events", "news")


@functools.lru_cache(maxsize=1 << 16)
def _local_word(name: str) -> str:
    """A name as a mailbox word: "Jean-Pierre" -> "jean-pierre", "De Luca" -> "deluca"."""
    return _NOT_LOCAL.sub("", anyascii(name).lower().replace(" ", ""))


_SEPARATORS = "._-"


def _tidy_local(local: str) -> str:
    """No leading, trailing or doubled dots, which RFC 5321 mailboxes cannot have."""
    if (
        ".." not in local
        and local[:1] not in _SEPARATORS
        and local[-1:] not in _SEPARATORS
    ):
        return local  # the usual case, without a regex
    return re.sub(r"\.{2,}", ".", local).strip(_SEPARATORS)


_reserved = functools.lru_cache(maxsize=4096)(is_reserved_domain)


def email_for(
    given_latin: str, family_latin: str, domain: str, rng: random.Random
) -> str:
    """A plausible address for the person at ``domain`` (first.last, f.last, firstlast77...).

    Refuses a domain that is not reserved for examples, so generated data can never reach a
    real mailbox.
    """
    if not _reserved(domain):
        raise ValueError(f"{domain!r} is not a reserved example domain")
    first, last = _local_word(given_latin), _local_word(family_latin)
    pattern = _EMAIL_PATTERNS[
        bisect.bisect_right(_EMAIL_CUMULATIVE, rng.randrange(_EMAIL_CUMULATIVE[-1]))
    ]
    if not first or not last:
        local = (first or last) + f"{rng.randrange(100):02d}"
    elif pattern == "first.last":
        local = f"{first}.{last}"
    elif pattern == "f.last":
        local = f"{first[0]}.{last}"
    elif pattern == "firstlastNN":
        local = f"{first}{last}{rng.randrange(100):02d}"
    elif pattern == "last.first":
        local = f"{last}.{first}"
    else:
        local = f"{first}_{last}"
    local = _tidy_local(local) or f"user{rng.randrange(10**6):06d}"
    return f"{local}@{domain.lower()}"


_WORD_START = re.compile(r"(^|[._+-])([a-z])")


def _case_variant(email: str, rng: random.Random) -> str:
    """G.Bellini@mail.it.example, G.Bellini@Mail.it.example or G.BELLINI@MAIL.IT.EXAMPLE."""
    local, domain = email.rsplit("@", 1)
    titled = _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), local)
    options = (
        f"{titled}@{domain}",
        f"{titled}@{domain[:1].upper()}{domain[1:]}",
        email.upper(),
    )
    out = options[rng.randrange(len(options))]
    if out == email:
        out = email.upper() if email != email.upper() else email.lower()
    return out


def _dots_variant(email: str, rng: random.Random) -> str | None:
    """One dot removed from the local part, or one added; None when neither can be done.

    A dot is added where people put one: after an initial (gbellini -> g.bellini) or between
    letters and digits (bellini77 -> bellini.77); elsewhere only when there is no such place.
    """
    local, domain = email.rsplit("@", 1)
    base, plus, tag = local.partition("+")
    dots = [i for i, ch in enumerate(base) if ch == "."]
    if dots:
        i = dots[rng.randrange(len(dots))]
        return f"{base[:i]}{base[i + 1 :]}{plus}{tag}@{domain}"
    inner = [
        i for i in range(1, len(base)) if base[i - 1].isalnum() and base[i].isalnum()
    ]
    likely = [i for i in inner if i == 1 or base[i - 1].isdigit() != base[i].isdigit()]
    slots = likely or inner
    if not slots:
        return None
    i = slots[rng.randrange(len(slots))]
    return f"{base[:i]}.{base[i:]}{plus}{tag}@{domain}"


def _domain_typo(email: str, rng: random.Random) -> str | None:
    """A typo in the domain's first label (mail -> mial) that keeps it reserved; None if none can."""
    local, domain = email.rsplit("@", 1)
    label, dot, rest = domain.partition(".")
    if not dot or len(label) < 2 or not is_reserved_domain(rest):
        return None
    for _ in range(8):
        new = typo(label, rng)
        if (
            re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", new)
            and new != label
        ):
            return f"{local}@{new}.{rest}"
    return None


EMAIL_KINDS = ("dots", "domain_typo", "case", "plus_tag")


def email_variant(email: str, rng: random.Random) -> tuple[str, str]:
    """Another way the same address gets written, and what changed.

    Kinds: "case", "plus_tag" (+garage/+events/+news), "dots" (one dot removed or added in the
    local part) and "domain_typo" (mial.it.example). Each is equally likely where it applies;
    one that cannot apply (a one-letter local part, a bare example.com) hands over to the next.
    The result always differs from ``email``, and a typo'd domain stays a reserved one.
    """
    start = rng.randrange(len(EMAIL_KINDS))
    for kind in EMAIL_KINDS[start:] + EMAIL_KINDS[:start]:
        if kind == "case":
            return _case_variant(email, rng), kind
        if kind == "plus_tag":
            local, domain = email.rsplit("@", 1)
            base, _, old = local.partition("+")
            tags = [t for t in PLUS_TAGS if t != old.lower()]
            return f"{base}+{tags[rng.randrange(len(tags))]}@{domain}", kind
        out = _dots_variant(email, rng) if kind == "dots" else _domain_typo(email, rng)
        if out is not None and out != email:
            return out, kind
    raise AssertionError(
        "unreachable: 'case' and 'plus_tag' always apply"
    )  # pragma: no cover


# --- phones ----------------------------------------------------------------------------------


def phone_variant(e164: str, country: str, rng: random.Random) -> tuple[str, str]:
    """``e164`` as a person or clerk in ``country`` writes it, and which way that was.

    Kinds: "national" (3315551234), "national_spaced" (331 555 1234), "international_spaced"
    (+39 331 555 1234, or +39 3315551234), "e164" and "00_prefix" (00393315551234, only where 00
    is the international prefix). Every string parses back to ``e164`` with ``country`` as
    the default region.
    """
    kinds = phone_kinds(country)
    kind = kinds[rng.randrange(len(kinds))]
    if kind == "international_spaced" and rng.random() < 0.3:
        cc, nsn = split_e164(e164, country)
        return f"+{cc} {nsn}", kind
    return format_phone(e164, country, kind), kind
