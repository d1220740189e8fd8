"""Dates as ISO ``yyyy-mm-dd``: birth dates are strong identity evidence only when they parse.

Sources write 1980-03-07, 07.03.1980, 07/03/1980 or a timestamp; the key is the calendar
date as written (a timestamp's own date, no time-zone shift). Callers keep the raw text.
"""

from __future__ import annotations

import re
from datetime import date, datetime

MIN_YEAR, MAX_YEAR = 1900, 2100
MIN_AGE, MAX_AGE = (
    14,
    110,
)  # youngest customer with a record of their own, oldest plausible
_MAX_DATE_CHARS = 64

# ASCII digits only: ``\d`` would also accept Arabic-Indic and full-width digits.
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ISO_DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ].+")
_DAY_FIRST = re.compile(r"([0-9]{1,2})([./])([0-9]{1,2})\2([0-9]{4})")
_YEAR_FIRST = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})")


def _in_range(day: date) -> str | None:
    return day.isoformat() if MIN_YEAR <= day.year <= MAX_YEAR else None


def _ymd(year: str, month: str, day: str) -> str | None:
    try:
        return _in_range(date(int(year), int(month), int(day)))
    except ValueError:  # 31.02., month 13...
        return None


def parse_date(raw: str | None, fmt: str | None = None) -> str | None:
    """ISO ``yyyy-mm-dd`` of a date, or None when it is not one (or not in 1900..2100).

    With ``fmt``, ``datetime.strptime`` decides. Without, accepted are ISO dates, ISO
    datetimes (their date part), dd.mm.yyyy, dd/mm/yyyy (day first: the sources are
    European; pass ``fmt="%m/%d/%Y"`` for US data) and yyyy/mm/dd.

    >>> parse_date("07.03.1980"), parse_date("2024-02-30")
    ('1980-03-07', None)
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_DATE_CHARS:
        return None
    if fmt is not None:
        try:
            return _in_range(datetime.strptime(text, fmt).date())
        except ValueError:
            return None
    if m := _ISO_DATE.fullmatch(text):
        return _ymd(*m.groups())
    if _ISO_DATETIME.fullmatch(text):
        try:
            return _in_range(datetime.fromisoformat(text).date())
        except ValueError:
            return None
    if m := _DAY_FIRST.fullmatch(text):
        return _ymd(m.group(4), m.group(3), m.group(1))
    if m := _YEAR_FIRST.fullmatch(text):
        return _ymd(*m.groups())
    return None


def plausible_birth_date(iso: str | None, today: date | None = None) -> bool:
    """True when ``iso`` (yyyy-mm-dd) makes the person 14 to 110 years old ``today``.

    A date outside that is a data-entry default (1900-01-01) or a record's creation date
    typed into the wrong field, and must not count as identity evidence.
    """
    if not isinstance(iso, str) or not _ISO_DATE.fullmatch(iso):
        return False
    try:
        born = date.fromisoformat(iso)
    except ValueError:
        return False
    now = today or date.today()
    age = now.year - born.year - ((now.month, now.day) < (born.month, born.day))
    return MIN_AGE <= age <= MAX_AGE
