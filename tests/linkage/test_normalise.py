"""Normalisers on the domain brief's own examples (§2) and the identity-resolution issue's."""

from __future__ import annotations

from datetime import date

import pytest

from linkage.normalise.addresses import (
    address_key,
    normalise_postcode,
    normalise_street,
    postcode_display,
    street_parts,
)
from linkage.normalise.dates import parse_date, plausible_birth_date
from linkage.normalise.emails import (
    email_domain,
    email_local,
    email_spelling,
    normalise_email,
)
from linkage.normalise.names import (
    FAMILY_NAME_FIRST_COUNTRIES,
    MAX_NAME_CHARS,
    display_name,
    given_name_canonical,
    name_key,
    name_tokens,
)
from linkage.normalise.phones import normalise_phone, phone_kind
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


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Алексей", "aleksey"),  # Cyrillic, anyascii's BGN-style spelling
        ("Σωκράτης", "sokratis"),  # Greek
        (
            "山田",
            "shantian",
        ),  # CJK: anyascii reads Han as Mandarin, not as Japanese "yamada"
        ("やまだ", "yamada"),  # kana
        ("김민준", "gimminjun"),  # Hangul
        ("محمد", "mhmd"),  # Arabic: no vowels are written, none are invented
        ("דוד", "dvd"),  # Hebrew
        ("Nguyễn Văn An", "nguyen van an"),
        ("Straße", "strasse"),
        ("Łukasz", "lukasz"),
        ("O'Neil", "oneil"),
        ("O’Neil", "oneil"),  # typographic apostrophe
        ("ONeil", "oneil"),
        ("o neil", "o neil"),  # a space is kept: "o neil" is two words
        ("Jean-Luc", "jean luc"),
        ("Jean–Luc", "jean luc"),  # en dash
        ("Bellini,Giuseppe", "bellini giuseppe"),
        ("Giuseppe (Beppe)", "giuseppe beppe"),
        ("J.R.", "jr"),
        (
            "Giuseppe2 😀",
            "giuseppe",
        ),  # digits and emoji dropped, not spelled ":grinning:"
        ("Paral·lel", "parallel"),
        ("  Mario \t\n Rossi  ", "mario rossi"),
        ("123", None),
        ("😀", None),
        ("-'-", None),
        (None, None),
    ],
)
def test_name_key_transliterates_and_folds(raw: str | None, key: str | None) -> None:
    assert name_key(raw) == key


def test_name_key_equal_spellings() -> None:
    assert (
        name_key("Müller") == name_key("MULLER") == name_key("Mu\u0308ller") == "muller"
    )
    assert name_key("O'Neil") == name_key("ONeil")


def test_name_key_long_input_reads_the_first_200_characters() -> None:
    long = "a" * 150 + " " + "b" * 10_000
    assert name_key(long) == "a" * 150 + " " + "b" * 49
    key = name_key(
        "山" * 5_000
    )  # each character spells out as "shan": the key is cut too
    assert key is not None and len(key) == MAX_NAME_CHARS
    assert name_key(key) == key


@pytest.mark.parametrize(
    ("raw", "formal"),
    [
        ("Beppe", "giuseppe"),
        ("PEPPE", "giuseppe"),
        ("Giuseppe", "giuseppe"),  # a formal name maps to itself
        ("Bob", "robert"),
        ("Bobby", "robert"),
        ("Totò", "antonio"),  # Antonio and Salvatore: the alphabetically first
        ("Toto", "antonio"),  # the table's keys are folded too
        ("Max", "massimo"),  # Massimo, Maximilian
        ("Саша", "aleksandr"),  # Cyrillic nickname, transliterated like the table
        ("Sasha", "aleksandr"),
        ("Zé", "jose"),
        ("Brunhilde", "brunhilde"),  # not in the table: the name key
        ("  ", None),
        (None, None),
    ],
)
def test_given_name_canonical(raw: str | None, formal: str | None) -> None:
    assert given_name_canonical(raw) == formal


def test_given_name_canonical_is_stable() -> None:
    for nick in ("Beppe", "Bob", "Lena", "Lele", "Sasha", "Dima"):
        formal = given_name_canonical(nick)
        assert given_name_canonical(formal) == formal


def test_name_tokens() -> None:
    assert name_tokens("Bellini Giuseppe") == ("bellini", "giuseppe")
    assert name_tokens("giuseppe BELLINI") == name_tokens("Bellini, Giuseppe")
    assert name_tokens("García-García Ana") == ("ana", "garcia")
    assert name_tokens(None) == ()
    assert name_tokens("123") == ()


def test_family_name_first_countries() -> None:
    assert {"JP", "CN", "HU"} <= FAMILY_NAME_FIRST_COUNTRIES
    assert "IT" not in FAMILY_NAME_FIRST_COUNTRIES


# --- emails -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (" G.Bellini+garage@Mail.Example.IT ", "g.bellini@mail.example.it"),
        ("G.Bellini+cars@gmail.com", "gbellini@gmail.com"),
        ("g.bel.lini@GoogleMail.com", "gbellini@gmail.com"),
        ("gbellini@gmail.com", "gbellini@gmail.com"),
        ("g.bellini@gmail.example", "g.bellini@gmail.example"),  # not Gmail: dots stay
        ("a+b+c@inbox.example", "a@inbox.example"),
        (".+x@gmail.com", None),  # nothing left of the local part
        ("g bellini@mail.example.it", None),  # whitespace inside
        ("g.bellini@mail.example.it\x00", None),  # control character
        (
            "g.bel\u200blini@mail.example.it",
            None,
        ),  # zero-width space (format character)
        ("g\tbellini@mail.example.it", None),
        ("a@b@mail.example.it", None),  # more than one @
        ("a@localhost", None),  # no dot in the domain
        ("a@mail..example", None),  # empty label
        ("a@.example", None),
        ("@mail.example.it", None),
        ("a" * 64 + "@mail.example.it", "a" * 64 + "@mail.example.it"),
        ("a" * 65 + "@mail.example.it", None),  # RFC 5321 local part limit
        ("a@" + "b" * 240 + ".example", "a@" + "b" * 240 + ".example"),  # 252 chars
        ("a@" + "b" * 245 + ".example", None),  # 257 chars: over the 254 limit
        (123, None),
    ],
)
def test_email_provider_rules_and_limits(raw: str | None, key: str | None) -> None:
    assert normalise_email(raw) == key


def test_email_local_and_domain() -> None:
    assert email_local("g.bellini@mail.example.it") == "g.bellini"
    assert email_domain("g.bellini@mail.example.it") == "mail.example.it"
    assert email_local("G.Bellini+x@googlemail.com") == "gbellini"
    assert email_domain("G.Bellini+x@googlemail.com") == "gmail.com"
    assert email_local("not an email") is None
    assert email_domain(None) is None


def test_email_spelling_ignores_separators_in_the_local_part_only() -> None:
    one = email_spelling("eric.drake@inbox.example")
    assert one == email_spelling("ericdrake@inbox.example") == "ericdrake@inbox.example"
    assert email_spelling("eric_drake@inbox.example") == one
    assert email_spelling("eric-drake@inbox.example") == one
    # The domain is kept as it is: another provider is another address.
    assert email_spelling("eric.drake@in-box.example") == "ericdrake@in-box.example"
    assert email_spelling("e.drake@inbox.example") != one
    assert email_spelling("._@inbox.example") is None
    assert email_spelling(None) is None


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("tel:+39 331 5551234", None, "+393315551234"),
        ("TEL:+393315551234", "IT", "+393315551234"),
        (" +39 (331) 555-1234 ", "it", "+393315551234"),
        ("0049 30 123456", "IT", "+4930123456"),
        ("1-800-FLOWERS", "US", None),  # letters: a vanity number is not a key
        ("+39 331 555 1234 ext. 5", "IT", None),
        ("331 555 1234 tel:", "IT", None),  # "tel:" only as a prefix
        ("+39 331 555 1234" + " " * 30, "IT", "+393315551234"),  # padding is stripped
        ("+39" + " 3" * 20, "IT", None),  # over 40 characters
        ("", "IT", None),
        (None, "IT", None),
        ("331 555 1234", "XX", None),  # unknown region
    ],
)
def test_phone_guards(raw: str | None, country: str | None, e164: str | None) -> None:
    assert normalise_phone(raw, country) == e164


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+393315551234", "mobile"),
        ("+390612345678", "fixed_line"),  # Rome
        ("+4930123456", "fixed_line"),  # Berlin
        ("+4915123456789", "mobile"),
        ("+12015550123", "fixed_line_or_mobile"),  # North America cannot tell
        ("+498001234567", "other"),  # toll-free
        ("393315551234", "other"),  # not E.164
        ("garbage", "other"),
        (None, "other"),
    ],
)
def test_phone_kind(e164: str | None, kind: str) -> None:
    assert phone_kind(e164) == kind


# --- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "key"),
    [
        ("sw1a 1aa", "GB", "SW1A1AA"),
        ("SW1A-1AA", "gb", "SW1A1AA"),
        ("EC1A 1BB", "GB", "EC1A1BB"),
        ("M1 1AE", "GB", "M11AE"),
        ("GIR 0AA", "GB", "GIR0AA"),
        ("SW1A 1A", "GB", None),
        ("k1a 0b1", "CA", "K1A0B1"),
        ("D1A 0B1", "CA", None),  # D is never a Canadian first letter
        ("1012 ab", "NL", "1012AB"),
        ("0123 AB", "NL", None),
        ("10001", "US", "10001"),
        ("10001-1234", "US", "10001"),  # ZIP+4 -> ZIP
        ("100011234", "US", "10001"),
        ("1000", "US", None),
        ("80331", "DE", "80331"),
        ("D-80331", "DE", "80331"),  # old European country prefix
        ("8033", "DE", None),
        ("20121", "IT", "20121"),
        ("I-20121", "IT", "20121"),
        ("75001", "FR", "75001"),
        ("28013", "ES", "28013"),
        ("53000", "ES", None),  # provinces end at 52
        ("00-950", "PL", "00950"),
        ("〒100-0001", "JP", "1000001"),
        ("１２３４５", "IT", "12345"),  # full-width digits (NFKC)
        ("D02 X285", "IE", "D02X285"),  # no rule for Ireland: letters and digits
        ("d02-x285", None, "D02X285"),
        ("n/a", "IE", None),  # a postcode has a digit
        ("12345678901", "IE", None),  # too long for any postcode
        ("", "GB", None),
        (None, "GB", None),
    ],
)
def test_postcode(raw: str | None, country: str | None, key: str | None) -> None:
    assert normalise_postcode(raw, country) == key


def test_postcode_display() -> None:
    assert postcode_display("sw1a1aa", "GB") == "SW1A 1AA"
    assert postcode_display("M11AE", "GB") == "M1 1AE"
    assert postcode_display("K1A0B1", "CA") == "K1A 0B1"
    assert postcode_display("1012ab", "NL") == "1012 AB"
    assert postcode_display("00950", "PL") == "00-950"
    assert postcode_display("1000001", "JP") == "100-0001"
    assert postcode_display("80331", "DE") == "80331"
    assert postcode_display("SW1A", "GB") is None


@pytest.mark.parametrize(
    ("raw", "name", "number"),
    [
        ("221B Baker St", "baker street", "221b"),
        ("Baker Street 221b", "baker street", "221b"),
        ("St John St 5", "saint john street", "5"),  # "St" before a name is Saint
        ("Main St NW", "main street nw", None),
        ("1600 Pennsylvania Ave NW", "pennsylvania avenue nw", "1600"),
        ("10 Downing Rd", "downing road", "10"),
        ("Via Roma, 12", "via roma", "12"),
        ("V. Roma 12", "via roma", "12"),
        ("V.le Monza 3", "viale monza", "3"),
        ("C.so Buenos Aires 10", "corso buenos aires", "10"),
        ("P.za del Duomo 1", "piazza del duomo", "1"),
        ("Via 4 Novembre", "via 4 novembre", None),  # a number inside the name stays
        ("Via Roma n° 12", "via roma", "12"),
        ("Via Roma No. 12", "via roma", "12"),
        ("Hauptstr. 5a", "hauptstrasse", "5a"),
        ("Hauptstraße 5 A", "hauptstrasse", "5a"),
        ("Berliner Str. 12", "berliner strasse", "12"),
        ("Straße des 17. Juni 135", "strasse des 17 juni", "135"),
        ("ul. Marszałkowska 10/12", "ulica marszalkowska", "10/12"),
        ("Via Roma 10 - 12", "via roma", "10-12"),
        ("12 rue de Rivoli", "rue de rivoli", "12"),
        ("Rue St-Honoré 3", "rue saint honore", "3"),
        ("C/ Mayor 5", "calle mayor", "5"),
        ("Hauptstraße 007", "hauptstrasse", "7"),
        ("42", None, "42"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_street_parts(raw: str | None, name: str | None, number: str | None) -> None:
    assert street_parts(raw) == (name, number)


def test_normalise_street_puts_the_number_last() -> None:
    assert normalise_street("221B Baker St") == normalise_street("Baker Street 221 B")
    assert normalise_street("221B Baker St") == "baker street 221b"
    assert normalise_street("Via 4 Novembre") == "via 4 novembre"
    assert normalise_street("42") is None  # a number is not a street
    assert normalise_street("x" * 201) is None


def test_address_key() -> None:
    assert address_key("Via Roma 12", "20121", "it") == "IT|20121|via roma|12"
    assert address_key("12, Via Roma", "I-20121", "IT") == "IT|20121|via roma|12"
    assert (
        address_key("221B Baker St", "nw1 6xe", "GB") == "GB|NW16XE|baker street|221b"
    )
    assert address_key("Via Roma", "20121", "IT") is None  # no house number
    assert address_key("Via Roma 12", "2012", "IT") is None  # not an Italian postcode
    assert address_key("Via Roma 12", "20121", None) is None
    assert address_key("Via Roma 12", "20121", "ITA") is None
    assert address_key(None, "20121", "IT") is None


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fmt", "iso"),
    [
        ("1980-03-07", None, "1980-03-07"),
        (" 1980-03-07 ", None, "1980-03-07"),
        ("1980-03-07T10:00:00", None, "1980-03-07"),
        ("1980-03-07T23:30:00+02:00", None, "1980-03-07"),  # the date as written
        ("1980-03-07 10:00:00Z", None, "1980-03-07"),
        ("07.03.1980", None, "1980-03-07"),
        ("7.3.1980", None, "1980-03-07"),
        ("07/03/1980", None, "1980-03-07"),  # day first
        ("1980/03/07", None, "1980-03-07"),
        ("03/07/1980", "%m/%d/%Y", "1980-03-07"),
        ("7 March 1980", "%d %B %Y", "1980-03-07"),
        ("1981-02-29", None, None),  # not a leap year
        ("1984-02-29", None, "1984-02-29"),
        ("2024-02-30", None, None),
        ("31.04.1980", None, None),
        ("1980-13-01", None, None),
        ("1980-03-07T25:00:00", None, None),
        ("1899-12-31", None, None),
        ("2101-01-01", None, None),
        ("1900-01-01", None, "1900-01-01"),
        ("07.03/1980", None, None),  # mixed separators
        ("07-03-1980", None, None),
        ("19800307", None, None),
        ("١٩٨٠-٠٣-٠٧", None, None),  # Arabic-Indic digits
        ("1980-03-07", "%d.%m.%Y", None),
        ("x", "%", None),  # a broken format is no date
        ("", None, None),
        (None, None, None),
    ],
)
def test_parse_date(raw: str | None, fmt: str | None, iso: str | None) -> None:
    assert parse_date(raw, fmt) == iso


def test_plausible_birth_date() -> None:
    today = date(2024, 6, 1)
    assert plausible_birth_date("1980-03-07", today)
    assert plausible_birth_date("2010-06-01", today)  # 14 today
    assert not plausible_birth_date("2010-06-02", today)  # 14 tomorrow
    assert plausible_birth_date("1914-06-01", today)  # 110
    assert not plausible_birth_date("1913-06-01", today)  # 111
    assert not plausible_birth_date("1900-01-01", today)  # the classic default
    assert not plausible_birth_date("2024-05-01", today)  # the record's own date
    assert not plausible_birth_date("1981-02-29", today)
    assert not plausible_birth_date("07.03.1980", today)  # ISO only
    assert not plausible_birth_date(None, today)
    assert plausible_birth_date("1980-03-07")  # today by default
