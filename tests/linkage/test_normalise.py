"""Normalisers on the domain brief's own examples (§2)."""

from __future__ import annotations

import pytest

from linkage.normalise.emails import normalise_email
from linkage.normalise.names import display_name, name_key
from linkage.normalise.phones import normalise_phone
from linkage.normalise.vins import check_digit, normalise_vin


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("G.Bellini@mail.example.it", "g.bellini@mail.example.it"),
        ("  g.bellini@MAIL.example.it ", "g.bellini@mail.example.it"),
        ("beppe.bellini+garage@inbox.example", "beppe.bellini@inbox.example"),
        ("not an email", None),
        ("+tag@inbox.example", None),
        ("", None),
        (None, None),
    ],
)
def test_email_key(raw: str | None, key: str | None) -> None:
    assert normalise_email(raw) == key


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("331 555 1234", "IT", "+393315551234"),
        ("+39 331 5551234", "IT", "+393315551234"),
        ("00393315551234", "DE", "+393315551234"),
        ("0331 555 1234", "IT", "+3903315551234"),  # Italian landlines keep the 0
        ("0151 2345 6789", "DE", "+4915123456789"),
        ("601 234 567", "PL", "+48601234567"),
        ("12", "IT", None),
        ("call me", "IT", None),
        ("331 555 1234", None, None),  # no country, no prefix: cannot know which number
    ],
)
def test_phone_e164(raw: str, country: str | None, e164: str | None) -> None:
    assert normalise_phone(raw, country) == e164


def test_vin_check_digit() -> None:
    # The classic worked example of the North-American check digit.
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert normalise_vin("1m8gdm9a-xkp042788") == "1M8GDM9AXKP042788"
    # The brief's illustrative VIN has a wrong check digit: it is a typo, not a vehicle.
    assert normalise_vin("ZVL95A0K4RM012345") is None
    assert normalise_vin("ZVLA800BRP0077810") is None  # 18 characters
    assert normalise_vin("ZVLS950A7RM01234O") is None  # the letter O is not allowed


def test_name_key_folds_case_and_diacritics() -> None:
    assert name_key("  Müller ") == "muller"
    assert name_key("BELLINI") == name_key("Bellini")
    assert name_key("Ｇｉｕｓｅｐｐｅ") == "giuseppe"  # full-width forms (NFKC)
    assert name_key("  ") is None
    assert display_name(None, " Keller ") == "Keller"
    assert display_name(None, None) == "(no name)"
