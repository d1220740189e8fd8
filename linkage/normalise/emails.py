"""Email comparison keys: case, whitespace and ``+tags`` do not make a different address."""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str | None) -> str | None:
    """The comparison key of an address, or None when it is blank or not an address.

    >>> normalise_email(" G.Bellini+garage@Mail.Example.IT ")
    'g.bellini@mail.example.it'
    """
    if raw is None:
        return None
    value = raw.strip().lower()
    if not _SHAPE.match(value):
        return None
    local, domain = value.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if not local:
        return None
    return f"{local}@{domain}"
