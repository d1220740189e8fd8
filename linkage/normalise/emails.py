"""Email comparison keys: spellings that reach the same mailbox get the same key.

Case, surrounding whitespace and ``+tags`` never make a different address; for Gmail neither
do dots in the local part nor the old googlemail.com domain. Callers keep the raw address.
"""

from __future__ import annotations

import unicodedata

# RFC 5321 §4.5.3.1: a longer address cannot be delivered, so it is not one person's address.
MAX_LOCAL = 64
MAX_ADDRESS = 254

# Domains whose mailboxes ignore dots in the local part, and the name each one is known by.
_GMAIL = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def _bad_char(c: str) -> bool:
    """Whitespace, control and format characters (zero-width space...) are never in an address."""
    return c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")


def normalise_email(raw: str | None) -> str | None:
    """The comparison key of an address, or None when it is blank or not an address.

    Lower case, ``+tag`` removed for every provider, Gmail dots removed and googlemail.com
    read as gmail.com. None for whitespace or control characters inside, more than one
    ``@``, a domain without a dot or with an empty label, or over the RFC 5321 lengths
    (local part 64, address 254). Idempotent.

    >>> normalise_email(" G.Bellini+garage@Mail.Example.IT ")
    'g.bellini@mail.example.it'
    >>> normalise_email("G.Bellini+cars@googlemail.com")
    'gbellini@gmail.com'
    """
    if not isinstance(raw, str) or len(raw) > 4 * MAX_ADDRESS:
        return None
    value = raw.strip().lower()
    if len(value) > MAX_ADDRESS or value.count("@") != 1:
        return None
    plain = (
        value.isascii() and value.isprintable() and " " not in value
    )  # the usual case
    if not plain and any(_bad_char(c) for c in value):
        return None
    local, domain = value.split("@")
    if not local or len(local) > MAX_LOCAL:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        domain = _GMAIL[domain]
        local = local.replace(".", "")
    if not local:
        return None
    return f"{local}@{domain}"


def email_local(key: str | None) -> str | None:
    """The local part of an address's key ("g.bellini"), for comparing across domains."""
    norm = normalise_email(key)
    return norm.rsplit("@", 1)[0] if norm else None


def email_domain(key: str | None) -> str | None:
    """The domain of an address's key ("mail.example.it"), for household or company evidence."""
    norm = normalise_email(key)
    return norm.rsplit("@", 1)[1] if norm else None


_SEPARATORS = str.maketrans("", "", "._-")


def email_spelling(key: str | None) -> str | None:
    """An email key without the dots, underscores and hyphens of its local part.

    Not a mailbox: at most providers ``eric.drake@`` and ``ericdrake@`` are two addresses.
    It is match evidence: people and clerks write one address both ways, and two different
    people rarely own both spellings at one domain. None when nothing but separators is left.

    >>> email_spelling("eric.drake@inbox.example")
    'ericdrake@inbox.example'
    >>> email_spelling("richard_breton@post.example.net")
    'richardbreton@post.example.net'
    """
    if not key:
        return None
    local, _, domain = key.rpartition("@")
    local = local.translate(_SEPARATORS)
    return f"{local}@{domain}" if local else None
