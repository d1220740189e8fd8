"""Postcode and street keys, and the household blocking key built from them.

Addresses are household evidence: two records at one street, number and postcode may be one
person or two people living together. The keys only compare; callers keep the raw lines.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

# Text longer than this is a pasted block, not a postcode or a street line.
MAX_POSTCODE_CHARS = 40
MAX_STREET_CHARS = 200
_MAX_POSTCODE_KEY = (
    10  # the longest postcodes in use (Iran, Brazil with dash dropped) fit
)

# The comparison key of a valid postcode, per country; "validate rough shape" on purpose:
# a typo that keeps the shape still passes and is the matcher's job.
_SHAPES: dict[str, re.Pattern[str]] = {
    "DE": re.compile(r"[0-9]{5}"),
    "IT": re.compile(r"[0-9]{5}"),
    "FR": re.compile(r"[0-9]{5}"),
    "ES": re.compile(r"(?:0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}"),
    "PL": re.compile(r"[0-9]{5}"),  # written 00-950
    "JP": re.compile(r"[0-9]{7}"),  # written 100-0001
    "NL": re.compile(r"[1-9][0-9]{3}[A-Z]{2}"),  # written 1012 AB
    "GB": re.compile(r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)"),  # SW1A 1AA
    "CA": re.compile(
        r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z][0-9][ABCEGHJ-NPRSTV-Z][0-9]"
    ),
    "US": re.compile(r"[0-9]{5}(?:[0-9]{4})?"),  # ZIP or ZIP+4; the key is the ZIP
}
# Old European style "D-80331", "I-20100": the country prefix is not part of the code.
_PREFIXES: dict[str, tuple[str, ...]] = {
    "DE": ("DE", "D"),
    "IT": ("IT", "I"),
    "FR": ("FR", "F"),
    "ES": ("ES", "E"),
    "PL": ("PL",),
    "NL": ("NL",),
}
# Where the inner space or dash goes in the written form: (position from the end, separator).
_DISPLAY: dict[str, tuple[int, str]] = {
    "GB": (3, " "),
    "CA": (3, " "),
    "NL": (2, " "),
    "PL": (3, "-"),
    "JP": (4, "-"),
}
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def normalise_postcode(raw: str | None, country: str | None) -> str | None:
    """The comparison key of a postcode: upper case, no spaces or dashes ("SW1A1AA"), or None.

    Known countries (DE IT FR ES PL JP NL GB CA US) must have their shape; US ZIP+4 is cut
    to the 5-digit ZIP. Other or missing countries: ASCII letters and digits, upper case,
    with at least one digit and at most 10 characters. Idempotent for a given country.

    >>> normalise_postcode("sw1a 1aa", "GB"), normalise_postcode("10001-1234", "US")
    ('SW1A1AA', '10001')
    """
    if not isinstance(raw, str) or len(raw) > MAX_POSTCODE_CHARS:
        return None
    text = unicodedata.normalize("NFKC", raw).upper().replace("〒", "")
    key = _NOT_ALNUM.sub("", text)
    cc = (country or "").strip().upper()
    shape = _SHAPES.get(cc)
    if shape is None:
        if not key or len(key) > _MAX_POSTCODE_KEY or not any(c.isdigit() for c in key):
            return None
        return key
    if not shape.fullmatch(key):
        key = next(
            (
                key[len(p) :]
                for p in _PREFIXES.get(cc, ())
                if key.startswith(p) and shape.fullmatch(key[len(p) :])
            ),
            "",
        )
        if not key:
            return None
    return key[:5] if cc == "US" else key


def postcode_display(key: str | None, country: str | None) -> str | None:
    """The written form of a postcode key where the inner space or dash is part of it.

    ("SW1A1AA", "GB") -> "SW1A 1AA", ("1012AB", "NL") -> "1012 AB", ("00950", "PL") ->
    "00-950"; other countries get the key itself. None when ``key`` is not a postcode.
    """
    norm = normalise_postcode(key, country)
    if norm is None:
        return None
    split = _DISPLAY.get((country or "").strip().upper())
    if split is None:
        return norm
    at, sep = split
    return f"{norm[:-at]}{sep}{norm[-at:]}"


# --- streets ---------------------------------------------------------------------------------

# Abbreviations spelled with an inner dot, expanded before dots are read as word breaks.
_DOTTED = (
    (re.compile(r"\bv\.\s?le\b"), " viale "),
    (re.compile(r"\bc\.\s?so\b"), " corso "),
    (re.compile(r"\bp\.\s?z?za\b"), " piazza "),
    (re.compile(r"\bp\.\s?le\b"), " piazzale "),
    (re.compile(r"(?<=[a-z])str\."), "strasse "),  # Hauptstr. -> hauptstrasse
)
# Dashes and slashes separate words, except inside a house number ("10-12", "10/3").
_NUMBER_JOIN = re.compile(r"(?<=[0-9]) ?([-/]) ?(?=[0-9])")
_NUMBER_WORD = re.compile(r"[0-9]{1,6}[a-z]?(?:[-/][0-9]{1,6}[a-z]?)?")
_NOT_STREET = re.compile(r"[^a-z0-9/ -]+")
# A house number: digits, an optional letter ("12a", "12 a") and an optional range or unit,
# with the "No.", "n°", "Nr." people write before it.
_MARK = r"(?:(?:n|no|nr|num) )*"
_NUMBER = r"[0-9]{1,6}(?: ?[a-z](?![a-z0-9]))?(?:[-/][0-9]{1,6}[a-z]?)?"
_TRAILING_NUMBER = re.compile(rf"(?:^| ){_MARK}({_NUMBER})$")
_LEADING_NUMBER = re.compile(rf"^{_MARK}({_NUMBER})(?: |$)")
_MARKS = frozenset({"n", "no", "nr", "num"})

# First word only: Italian, Polish, Spanish, French prefixes ("V. Roma", "ul. Długa").
_LEADING = {
    "v": "via",
    "vle": "viale",
    "cso": "corso",
    "pza": "piazza",
    "pzza": "piazza",
    "ple": "piazzale",
    "ul": "ulica",
    "al": "aleja",
    "os": "osiedle",
    "c": "calle",
    "str": "strasse",
    "avda": "avenida",
    "bd": "boulevard",
    "bld": "boulevard",
}
# Any word but the first: English and German suffixes ("Main St", "Berliner Str.").
_TRAILING = {
    "st": "street",
    "str": "strasse",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "blvd": "boulevard",
    "dr": "drive",
    "ln": "lane",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "hwy": "highway",
    "pkwy": "parkway",
    "cres": "crescent",
    "ter": "terrace",
}
_COMPASS = frozenset({"n", "s", "e", "w", "ne", "nw", "se", "sw"})


def _fold(raw: str) -> str:
    """Lower-case ASCII words; dashes and slashes are kept only inside house numbers."""
    text = unicodedata.normalize("NFKC", raw).casefold()
    # Symbols and control characters go before anyascii spells them out ("°" -> "deg").
    text = "".join(c if unicodedata.category(c)[0] in "LMNPZ" else " " for c in text)
    text = anyascii(text).lower().replace("'", "")
    for pattern, full in _DOTTED:
        text = pattern.sub(full, text)
    text = _NOT_STREET.sub(" ", text)
    words = _NUMBER_JOIN.sub(r"\1", text).split()
    text = " ".join(
        w if _NUMBER_WORD.fullmatch(w) else w.replace("-", " ").replace("/", " ")
        for w in words
    )
    return " ".join(text.split())


def _expand(words: list[str]) -> list[str]:
    """Abbreviations by position: "St" before a name is Saint, after one it is Street."""
    out: list[str] = []
    for i, word in enumerate(words):
        rest = words[i + 1 :]
        if word == "st" and rest and not all(w in _COMPASS for w in rest):
            out.append("saint")
        elif i == 0 and word in _LEADING and rest:
            out.append(_LEADING[word])
        elif i > 0 and word in _TRAILING:
            out.append(_TRAILING[word])
        else:
            out.append(word)
    return out


def _number(text: str) -> str:
    """A house number's key: no spaces, no leading zeros ("012 B" -> "12b")."""
    return re.sub(r"^0+(?=[0-9])", "", text.replace(" ", ""))


def street_parts(raw: str | None) -> tuple[str | None, str | None]:
    """(street name key, house number key); either may be None.

    The number is taken from the end ("Via Roma 12", "Hauptstr. 5a") or, failing that, from
    the start ("221B Baker St", "12 rue de Rivoli"); numbers inside the name stay in it
    ("Via 4 Novembre"). Flat, floor and building parts are not told apart.

    >>> street_parts("221B Baker St"), street_parts("Baker Street 221b")
    (('baker street', '221b'), ('baker street', '221b'))
    """
    if not isinstance(raw, str) or len(raw) > MAX_STREET_CHARS:
        return None, None
    text = _fold(raw)
    number: str | None = None
    match = _TRAILING_NUMBER.search(text) or _LEADING_NUMBER.search(text)
    if match:
        number = _number(match.group(1))
        text = text[: match.start()] + " " + text[match.end() :]
    words = text.split()  # "10-12" inside a name stays one word, as _fold left it
    while number and words and words[-1] in _MARKS:  # "12 Via Roma No" -> via roma, 12
        words.pop()
    name = " ".join(_expand(words))
    if not any(c.isalpha() for c in name) or len(name) > MAX_STREET_CHARS:
        return None, number
    return name, number


def normalise_street(raw: str | None) -> str | None:
    """The comparison key of a street line: street name key then house number, or None.

    "221B Baker St" and "Baker Street 221b" both give "baker street 221b". None without a
    street name (letters). Idempotent.
    """
    name, number = street_parts(raw)
    if name is None:
        return None
    key = f"{name} {number}" if number else name
    return key if len(key) <= MAX_STREET_CHARS else None


def address_key(
    street: str | None, postcode: str | None, country: str | None
) -> str | None:
    """The household blocking key "IT|20121|via roma|12", or None when a part is missing.

    Country (ISO alpha-2), a valid postcode, a street name and a house number are all needed:
    without the number a whole street would be one household.
    """
    cc = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", cc):
        return None
    pc = normalise_postcode(postcode, cc)
    name, number = street_parts(street)
    if pc is None or name is None or number is None:
        return None
    return f"{cc}|{pc}|{name}|{number}"
