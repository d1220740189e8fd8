"""Vehicle identification numbers (ISO 3779): shape and the North-American check digit.

The check digit (position 9) is mandatory in North America and used by our demo brands
worldwide, so a VIN whose check digit is wrong is a typo, not a different vehicle.
"""

from __future__ import annotations

import re

_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_SHAPE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def check_digit(vin: str) -> str:
    """The check character ('0'-'9' or 'X') that position 9 of ``vin`` must hold."""
    total = sum(_TRANSLIT[c] * w for c, w in zip(vin.upper(), _WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def normalise_vin(raw: str | None) -> str | None:
    """Upper-case VIN without spaces or dashes if it is well-formed and its check digit holds."""
    if raw is None:
        return None
    vin = re.sub(r"[\s-]", "", raw).upper()
    if not _SHAPE.match(vin) or check_digit(vin) != vin[8]:
        return None
    return vin
