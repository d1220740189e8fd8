"""Name keys for exact comparison: NFKC, case-folded, diacritics stripped.

The identity-resolution issue adds transliteration and the nickname table; this module is
where they go.
"""

from __future__ import annotations

import unicodedata

# Countries whose names are written family name first (in their own script and often in Latin).
FAMILY_NAME_FIRST_COUNTRIES = frozenset({"JP", "CN", "KR", "TW", "HU", "VN"})


def name_key(raw: str | None) -> str | None:
    """'  Müller ' -> 'muller'; None for blank input."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip().casefold()
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    text = " ".join(text.split())
    return text or None


def display_name(first: str | None, last: str | None) -> str:
    """'Giuseppe Bellini' from its parts, tidy whitespace, never empty."""
    parts = [p.strip() for p in (first, last) if p and p.strip()]
    return " ".join(parts) or "(no name)"
