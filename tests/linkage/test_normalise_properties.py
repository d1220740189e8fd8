"""Normaliser properties on arbitrary text: they never raise, keys are fixed points.

Source systems send anything (control characters, other scripts, pasted documents); a key
that changed when normalised again would split one person into two.
"""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.normalise.addresses import (
    address_key,
    normalise_postcode,
    normalise_street,
    postcode_display,
    street_parts,
)
from linkage.normalise.dates import parse_date, plausible_birth_date
from linkage.normalise.emails import email_domain, email_local, normalise_email
from linkage.normalise.names import (
    given_name_canonical,
    name_key,
    name_tokens,
)
from linkage.normalise.phones import normalise_phone, phone_kind
from linkage.normalise.vins import normalise_vin

SETTINGS = settings(max_examples=300, deadline=None)
COUNTRIES = ("IT", "DE", "FR", "ES", "PL", "NL", "GB", "US", "CA", "JP", "IE", "XX")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
KEY = re.compile(r"^[a-z]+(?: [a-z]+)*$")

# Any text: every plane, control characters included (surrogates are not valid text).
anything = st.one_of(
    st.text(),
    st.text(st.characters(codec="utf-8", categories=("Cc", "Cf", "Zs", "Pd", "Po"))),
    # Long text, built by repetition: drawing thousands of characters one by one is slow.
    st.builds(
        lambda part, n: part * n, st.text(min_size=1, max_size=12), st.integers(15, 800)
    ),
)
countries = st.one_of(st.none(), st.sampled_from(COUNTRIES), st.text(max_size=3))
names = st.one_of(
    anything,
    st.text(st.characters(categories=("L", "M", "Zs", "Pd")), max_size=40),
)
emails = st.one_of(
    anything,
    st.from_regex(
        r"\A[A-Za-z0-9._+-]{1,70}@(?:[A-Za-z0-9-]{1,20}\.){1,3}[A-Za-z]{2,6}\Z"
    ),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.from_regex(r"\A[A-Za-z0-9.+]{1,20}\Z"),
        st.sampled_from(["gmail.com", "GoogleMail.com", "mail.example.it"]),
    ),
)
phones = st.one_of(
    anything,
    st.from_regex(r"\A(?:tel:)?(?:\+|00)?[0-9 ()./-]{6,20}\Z"),
    st.builds(
        lambda prefix, digits: prefix + digits,
        st.sampled_from(["+39 3", "+49 15", "+1 201", "+44 7", "0", "3", "+48 6"]),
        st.from_regex(r"\A[0-9]{6,9}\Z"),
    ),
)
postcodes = st.one_of(
    anything,
    st.from_regex(r"\A[A-Za-z]{0,3}[ -]?[0-9]{1,5}[ -]?[0-9A-Za-z]{0,4}\Z"),
)
streets = st.one_of(
    anything,
    st.lists(
        st.one_of(
            st.sampled_from(
                ["St", "st.", "V.", "v.le", "Str.", "ul.", "No.", "n°", "n", "Rd", "c/"]
            ),
            st.sampled_from(["Roma", "Haupt", "Baker", "Straße", "NW", "a", "B"]),
            st.from_regex(r"\A[0-9]{1,7}[a-zA-Z]?\Z"),
            st.sampled_from(["-", "/", ",", " - ", "10-12", "10/3", "12 a"]),
        ),
        max_size=8,
    ).map(" ".join),
)
dates = st.one_of(
    anything,
    st.from_regex(r"\A[0-9]{1,4}[-./][0-9]{1,2}[-./][0-9]{1,4}\Z"),
    st.datetimes().map(lambda d: d.isoformat(sep=" " if d.second % 2 else "T")),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
)
formats = st.one_of(st.none(), st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%", "%Y"]))


@SETTINGS
@given(names)
def test_name_key_is_a_fixed_point(raw: str) -> None:
    key = name_key(raw)
    assert key is None or KEY.match(key)
    assert name_key(key) == key
    assert name_tokens(raw) == (tuple(sorted(set(key.split()))) if key else ())
    canonical = given_name_canonical(raw)
    assert (canonical is None) == (key is None)
    assert given_name_canonical(canonical) == canonical


@SETTINGS
@given(emails)
def test_email_key_is_a_fixed_point(raw: str) -> None:
    key = normalise_email(raw)
    assert normalise_email(key) == key
    if key is not None:
        assert key == key.strip().lower() and key.count("@") == 1
        assert "+" not in key and len(key) <= 254
        assert f"{email_local(key)}@{email_domain(key)}" == key
    else:
        assert email_local(raw) is None and email_domain(raw) is None


@SETTINGS
@given(phones, countries)
def test_phone_key_is_e164(raw: str, country: str | None) -> None:
    e164 = normalise_phone(raw, country)
    kind = phone_kind(e164)
    assert kind in ("mobile", "fixed_line", "fixed_line_or_mobile", "other")
    if e164 is not None:
        assert E164.match(e164), e164
        assert normalise_phone(e164, country) == e164
        assert normalise_phone(e164, None) == e164


@SETTINGS
@given(postcodes, countries)
def test_postcode_key_is_a_fixed_point(raw: str, country: str | None) -> None:
    key = normalise_postcode(raw, country)
    assert normalise_postcode(key, country) == key
    if key is not None:
        assert re.fullmatch(r"[A-Z0-9]{1,10}", key), key
        shown = postcode_display(key, country)
        assert shown is not None
        assert normalise_postcode(shown, country) == key


@SETTINGS
@given(streets, postcodes, countries)
def test_street_key_is_a_fixed_point(
    raw: str, postcode: str, country: str | None
) -> None:
    key = normalise_street(raw)
    assert normalise_street(key) == key
    name, number = street_parts(raw)
    if key is not None:
        assert name is not None and street_parts(key) == (name, number)
    household = address_key(raw, postcode, country)
    if household is not None:
        assert household.split("|")[2:] == [name, number]


@SETTINGS
@given(dates, formats)
def test_parse_date_gives_iso_dates(raw: str, fmt: str | None) -> None:
    iso = parse_date(raw, fmt)
    if iso is not None:
        day = date.fromisoformat(iso)
        assert day.isoformat() == iso and 1900 <= day.year <= 2100
        assert parse_date(iso) == iso
    plausible_birth_date(iso)
    plausible_birth_date(raw, date(2024, 6, 1))


@SETTINGS
@given(anything)
def test_vin_never_raises(raw: str) -> None:
    vin = normalise_vin(raw)
    assert vin is None or normalise_vin(vin) == vin
