"""Phone comparison keys: E.164, parsed with ``phonenumbers`` in the record's country.

The kind of line matters for matching: a landline is shared by a household, a mobile is
personal evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

# Longer text is a note or two numbers run together, not one phone number.
MAX_PHONE_CHARS = 40

LineKind = Literal["mobile", "fixed_line", "fixed_line_or_mobile", "other"]

_TEL = re.compile(r"^tel:", re.IGNORECASE)
_KINDS: dict[int, LineKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
}


def normalise_phone(raw: str | None, country: str | None) -> str | None:
    """E.164 for a valid number, else None. ``country`` (ISO alpha-2) is the default region.

    "00" and "+" prefixes are international; a leading "tel:" is allowed. Text over
    ``MAX_PHONE_CHARS`` or with letters (vanity numbers, "ext. 12", "call me") is None:
    a key is only made where the digits say it all. Idempotent on its output.

    >>> normalise_phone("331 555 1234", "IT")
    '+393315551234'
    >>> normalise_phone("00393315551234", "DE")
    '+393315551234'
    """
    if not isinstance(raw, str):
        return None
    return _e164(raw, country)


# A person's number comes back in many rows (the records, the messages sent to it), and
# parsing is the slow part of ingest: each spelling is parsed once while it is recent.
@lru_cache(maxsize=1 << 17)
def _e164(raw: str, country: str | None) -> str | None:
    text = _TEL.sub("", raw.strip(), count=1).strip()
    if not text or len(text) > MAX_PHONE_CHARS or any(c.isalpha() for c in text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    region = (country or "").strip().upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_kind(e164: str | None) -> LineKind:
    """ "mobile", "fixed_line", "fixed_line_or_mobile" (the US cannot tell) or "other".

    "other" also covers toll-free, VoIP, pagers and anything that does not parse.

    >>> phone_kind("+393315551234")
    'mobile'
    """
    if not isinstance(e164, str) or not e164.startswith("+"):
        return "other"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "other"
    return _KINDS.get(phonenumbers.number_type(number), "other")
