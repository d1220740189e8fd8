"""A club membership that started on 29 February crashed the generator at 100k people."""

from __future__ import annotations

import datetime as dt

from linkage.generate.extracts import _one_year_after


def test_leap_day_membership_renews_on_28_february() -> None:
    assert _one_year_after(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)
    assert _one_year_after(dt.date(2023, 3, 1)) == dt.date(2024, 3, 1)
