"""Phone comparison keys: E.164, parsed with ``phonenumbers`` in the record's country."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: str | None, country: str | None) -> str | None:
    """E.164 for a valid number, else None. ``country`` (ISO alpha-2) is the default region.

    >>> normalise_phone("331 555 1234", "IT")
    '+393315551234'
    >>> normalise_phone("00393315551234", "DE")
    '+393315551234'
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = (country or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
