"""Countries, names, phone numbers and the identity noise the generator injects."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from linkage.generate.locales import (
    COUNTRIES,
    COUNTRY_BY_CODE,
    PHONE_KINDS,
    REGIONS,
    SCRIPTS,
    Name,
    fake_landline,
    fake_mobile,
    format_phone,
    format_phone_national,
    is_reserved_domain,
    names_for,
    phone_kinds,
    pick_country,
)
from linkage.generate.noise import (
    NICKNAMES_CSV,
    PLUS_TAGS,
    email_for,
    email_variant,
    german_umlaut_ascii,
    nickname,
    nicknames,
    phone_variant,
    strip_diacritics,
    swap_names,
    transliterate,
    typo,
    upper_case_name,
)
from linkage.normalise.emails import normalise_email
from linkage.normalise.phones import normalise_phone

CODES = [c.code for c in COUNTRIES]
NON_LATIN = [c.code for c in COUNTRIES if c.script != "Latn"]
EMAIL = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# --- countries ---------------------------------------------------------------------------------


def test_countries_cover_every_region_and_script() -> None:
    assert len(CODES) == len(set(CODES)) >= 40
    assert {c.region for c in COUNTRIES} == set(REGIONS) and len(REGIONS) == 10
    assert {"Latn", "Cyrl", "Grek", "Jpan", "Hans", "Kore", "Arab", "Thai"} <= {
        c.script for c in COUNTRIES
    }
    assert {c.script for c in COUNTRIES} <= set(SCRIPTS)
    for c in COUNTRIES:
        assert c.dial_code == f"+{phonenumbers.country_code_for_region(c.code)}", c.code
        assert c.weight > 0
    assert COUNTRY_BY_CODE["IT"].weight > COUNTRY_BY_CODE["PT"].weight


def test_family_name_first_countries() -> None:
    assert {c.code for c in COUNTRIES if c.family_name_first} == {
        "JP",
        "CN",
        "KR",
        "TW",
        "HU",
    }


def test_non_latin_share_of_the_weighted_population() -> None:
    total = sum(c.weight for c in COUNTRIES)
    share = sum(c.weight for c in COUNTRIES if c.script != "Latn") / total
    assert 0.08 <= share <= 0.25


def test_pick_country_is_seeded_and_follows_the_weights() -> None:
    first = [pick_country(random.Random(7)).code for _ in range(3)]
    assert first == [pick_country(random.Random(7)).code] * 3
    rng_a, rng_b = random.Random(42), random.Random(42)
    assert [pick_country(rng_a) for _ in range(500)] == [
        pick_country(rng_b) for _ in range(500)
    ]

    rng = random.Random(1)
    counts = Counter(pick_country(rng).code for _ in range(40_000))
    total = sum(c.weight for c in COUNTRIES)
    for code in ("IT", "US", "JP", "CY"):
        expected = COUNTRY_BY_CODE[code].weight / total
        assert abs(counts[code] / 40_000 - expected) < 0.01, code
    assert set(counts) == set(CODES)


def test_email_domains_are_reserved_example_domains() -> None:
    for c in COUNTRIES:
        assert c.email_domains and all(
            is_reserved_domain(d) for d in c.email_domains
        ), c.code
    for safe in ("inbox.example", "mail.it.example", "example.com", "MAIL.Example.NET"):
        assert is_reserved_domain(safe)
    for unsafe in (
        "example.it",
        "mail.example.it",
        "exmaple.com",
        "gmail.com",
        "example.co",
    ):
        assert not is_reserved_domain(unsafe)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_every_country_has_name_tables_in_its_script(code: str) -> None:
    country = COUNTRY_BY_CODE[code]
    table = names_for(code)
    assert table is names_for(code)  # cached
    for names in (table.given_male, table.given_female, table.family):
        assert len(names) >= 20
        assert len({n.native for n in names}) == len(names)
        for n in names:
            assert n.native.strip() == n.native and n.native and n.latin
            if country.script == "Latn":
                assert n.latin == n.native
            else:
                assert n.latin.isascii() and re.fullmatch(
                    r"[A-Za-z][A-Za-z -]*", n.latin
                ), n
                assert not re.search(r"[A-Za-z]", n.native), n
    assert len(table.family_female) == len(table.family)
    assert all(
        f.latin.isascii() for f in table.family_female if country.script != "Latn"
    )


@pytest.mark.parametrize(
    ("code", "native", "latin"),
    [
        ("RU", "Дмитрий", "Dmitriy"),
        ("RU", "Иванов", "Ivanov"),
        ("BG", "Иванов", "Ivanov"),
        ("GR", "Ευάγγελος", "Evangelos"),
        ("GR", "Παπαδόπουλος", "Papadopoulos"),
        ("JP", "佐藤", "Sato"),
        ("CN", "王", "Wang"),
        ("TW", "陳", "Chen"),
        ("KR", "김", "Kim"),
        ("KR", "민준", "Minjun"),
        ("RS", "Абрамовић", "Abramovic"),
        ("AE", "محمد", "Mohammed"),
        ("TH", "สมชาย", "Somchai"),
        ("DE", "Müller", "Müller"),
    ],
)
def test_native_and_latin_forms(code: str, native: str, latin: str) -> None:
    table = names_for(code)
    assert Name(native, latin) in table.given_male + table.given_female + table.family


def test_female_surnames_follow_the_language() -> None:
    ru, pl, gr, it = names_for("RU"), names_for("PL"), names_for("GR"), names_for("IT")
    assert ru.feminine(Name("Иванов", "Ivanov")) == Name("Иванова", "Ivanova")
    assert pl.feminine(Name("Kowalski", "Kowalski")) == Name("Kowalska", "Kowalska")
    assert gr.feminine(Name("Παπαδόπουλος", "Papadopoulos")).latin == "Papadopoulou"
    rossi = next(n for n in it.family if n.native == "Rossi")
    assert it.feminine(rossi) == rossi


def test_name_tables_are_drawn_reproducibly() -> None:
    def draw(seed: int) -> list[Name]:
        rng = random.Random(seed)
        out = []
        for _ in range(200):
            table = names_for(pick_country(rng).code)
            out.append(table.family[rng.randrange(len(table.family))])
        return out

    assert draw(3) == draw(3) != draw(4)


# --- phones ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_fake_numbers_are_valid_for_every_country(code: str) -> None:
    rng = random.Random(code)
    mobiles = [fake_mobile(rng, code) for _ in range(250)]
    for e164 in mobiles:
        n = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(n), e164
        assert phonenumbers.region_code_for_number(n) == code, e164
        assert phonenumbers.number_type(n) in (
            PhoneNumberType.MOBILE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ), e164
    assert len(set(mobiles)) > 245  # a wide number space, few accidental shared numbers
    for _ in range(80):
        landline = phonenumbers.parse(fake_landline(rng, code), None)
        assert phonenumbers.is_valid_number(landline)
        assert phonenumbers.number_type(landline) in (
            PhoneNumberType.FIXED_LINE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    assert fake_mobile(random.Random(9), code) == fake_mobile(random.Random(9), code)


@pytest.mark.parametrize("code", CODES)
def test_every_phone_format_parses_back_in_its_country(code: str) -> None:
    kinds = phone_kinds(code)
    assert {"national", "national_spaced", "international_spaced", "e164"} <= set(kinds)
    assert set(kinds) <= set(PHONE_KINDS)
    rng = random.Random(code + "formats")
    for i in range(80):
        e164 = fake_mobile(rng, code) if i % 2 else fake_landline(rng, code)
        for kind in kinds:
            text = format_phone(e164, code, kind)
            back = phonenumbers.parse(text, code)
            assert phonenumbers.format_number(back, PhoneNumberFormat.E164) == e164, (
                kind,
                text,
            )
            assert normalise_phone(text, code) == e164, (kind, text)
        variant, chosen = phone_variant(e164, code, rng)
        assert chosen in kinds
        back = phonenumbers.parse(variant, code)
        assert phonenumbers.format_number(back, PhoneNumberFormat.E164) == e164


@pytest.mark.parametrize("code", CODES)
def test_fast_phone_formatting_matches_phonenumbers(code: str) -> None:
    rng = random.Random(code + "fast")
    for _ in range(60):
        e164 = fake_mobile(rng, code)
        n = phonenumbers.parse(e164, None)
        national = phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL)
        assert format_phone(e164, code, "national_spaced") == national
        assert format_phone_national(e164, code) == national
        assert format_phone(
            e164, code, "international_spaced"
        ) == phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)
        assert format_phone(e164, code, "national") == re.sub(r"\D", "", national)
        assert format_phone(e164, code, "e164") == e164


def test_noise_is_reproducible_from_the_seed() -> None:
    def run(seed: int) -> list[object]:
        rng = random.Random(seed)
        out: list[object] = []
        for _ in range(50):
            country = pick_country(rng)
            table = names_for(country.code)
            given = table.given_male[rng.randrange(len(table.given_male))].latin
            family = table.family[rng.randrange(len(table.family))].latin
            email = email_for(given, family, country.email_domains[0], rng)
            phone = fake_mobile(rng, country.code)
            out += [
                email,
                email_variant(email, rng),
                phone,
                phone_variant(phone, country.code, rng),
                typo(family, rng),
                nickname(given, rng),
            ]
        return out

    assert run(21) == run(21) != run(22)


def test_phone_variant_examples() -> None:
    assert format_phone("+393315551234", "IT", "national_spaced") == "331 555 1234"
    assert (
        format_phone("+393315551234", "IT", "international_spaced")
        == "+39 331 555 1234"
    )
    assert format_phone("+393315551234", "IT", "00_prefix") == "00393315551234"
    assert format_phone("+4915123456789", "DE", "national_spaced") == "01512 3456789"
    # where 00 is not the international prefix, that form is not produced
    assert "00_prefix" not in phone_kinds("US") and "00_prefix" in phone_kinds("DE")
    rng = random.Random(0)
    kinds = {phone_variant("+393315551234", "IT", rng)[1] for _ in range(300)}
    assert kinds == set(PHONE_KINDS)


# --- typos and names ---------------------------------------------------------------------------


def test_typo_changes_every_string_by_one_keystroke() -> None:
    rng = random.Random(11)
    words = [
        "Bellini",
        "Müller",
        "aa",
        "Oo",
        "Anna",
        "van der Berg",
        "晃太",
        "Иванов",
        "x1",
    ]
    for _ in range(400):
        for word in words:
            out = typo(word, rng)
            assert out != word
            assert 1 <= levenshtein(word, out) <= 2, (word, out)
    for short in ("", "A", "王"):
        assert typo(short, rng) == short
    assert [typo("Giuseppe", random.Random(5)) for _ in range(3)] == [
        typo("Giuseppe", random.Random(5))
    ] * 3


def test_typo_uses_neighbouring_keys_and_keeps_case() -> None:
    rng = random.Random(2)
    subs = set()
    for _ in range(500):
        out = typo("Gg", rng)
        if len(out) == 2 and out != "gG":
            subs.add(out)
    assert subs <= {f"{a}g" for a in "FHTYVB"} | {f"G{b}" for b in "fhtyvb"}
    assert subs


def test_nicknames_table() -> None:
    with NICKNAMES_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["formal", "nickname", "language"]
    body = [tuple(r) for r in rows[1:]]
    assert len(body) >= 150
    assert len(body) == len(set(body)), "duplicate rows"
    pairs = Counter((f, n) for f, n, _ in body)
    assert not [p for p, k in pairs.items() if k > 1], (
        "a pair listed under two languages"
    )
    for formal, nick, lang in body:
        assert formal and nick and formal != nick and re.fullmatch(r"[a-z]{2}", lang)
    assert {lang for *_, lang in body} >= {
        "it",
        "de",
        "en",
        "fr",
        "es",
        "pl",
        "ru",
        "el",
        "sv",
    }
    table = nicknames()
    assert {"Beppe", "Peppe"} <= set(table["Giuseppe"])
    assert "Sasha" in table["Aleksandr"] and "Bob" in table["Robert"]


def test_nickname_for_a_formal_name() -> None:
    rng = random.Random(1)
    assert {nickname("Giuseppe", rng) for _ in range(100)} == set(
        nicknames()["Giuseppe"]
    )
    assert nickname("Katharina", rng) in {"Kathi", "Käthe"}
    assert nickname("JOSE", rng) in {"Pepe", "Zé"}  # case and accents do not matter
    assert nickname("Tomasz", rng) in {"Tomek", "Tom"}
    assert nickname("Beppe", rng) is None
    assert nickname("", rng) is None
    # the generator's names hit the table: Russian Latin forms come from anyascii
    ru_given = {n.latin for n in names_for("RU").given_male}
    assert {"Dmitriy", "Aleksandr", "Mikhail"} <= ru_given
    assert all(nickname(g, rng) for g in ("Dmitriy", "Aleksandr", "Mikhail"))


def test_spelling_folds() -> None:
    assert strip_diacritics("Müller") == "Muller"
    assert (
        strip_diacritics("Łukasz Ørsted Đorđević Straße")
        == "Lukasz Orsted Dordevic Strasse"
    )
    assert strip_diacritics("Zoë François") == "Zoe Francois"
    assert german_umlaut_ascii("Müller") == "Mueller"
    assert german_umlaut_ascii("MÜLLER") == "MUELLER"
    assert german_umlaut_ascii("Weiß Öztürk") == "Weiss Oeztuerk"
    assert transliterate("Мюллер") == "Myuller"
    assert transliterate("Ελένη Παππά") == "Eleni Pappa"
    assert transliterate("山田太郎").isascii()
    assert swap_names("Giuseppe", "Bellini") == ("Bellini", "Giuseppe")
    assert upper_case_name("Bellini Giuseppe") == "BELLINI GIUSEPPE"


# --- emails ------------------------------------------------------------------------------------


def test_email_for_makes_plausible_addresses_on_example_domains() -> None:
    rng = random.Random(8)
    locals_seen = set()
    for code in CODES:
        table, country = names_for(code), COUNTRY_BY_CODE[code]
        for _ in range(40):
            given = table.given_female[rng.randrange(len(table.given_female))]
            family = table.family[rng.randrange(len(table.family))]
            domain = country.email_domains[rng.randrange(len(country.email_domains))]
            email = email_for(given.latin, family.latin, domain, rng)
            local, at_domain = email.rsplit("@", 1)
            assert at_domain == domain and is_reserved_domain(at_domain)
            assert re.fullmatch(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?", local), email
            assert ".." not in local and EMAIL.match(email)
            locals_seen.add(local)
    shapes = {
        "first.last": re.compile(r"^[a-z-]{2,}\.[a-z-]{2,}$"),
        "f.last": re.compile(r"^[a-z]\.[a-z-]{2,}$"),
        "firstlastNN": re.compile(r"^[a-z-]+\d\d$"),
        "first_last": re.compile(r"^[a-z-]+_[a-z-]+$"),
    }
    for name, shape in shapes.items():
        assert any(shape.match(x) for x in locals_seen), name
    assert email_for("Jürgen", "Müller", "inbox.example", random.Random(1)).isascii()
    assert "g.bellini" in {
        email_for("Giuseppe", "Bellini", "mail.it.example", random.Random(s)).split(
            "@"
        )[0]
        for s in range(40)
    }


def test_email_for_refuses_real_domains() -> None:
    with pytest.raises(ValueError, match="reserved"):
        email_for("Giuseppe", "Bellini", "mail.example.it", random.Random(0))


def test_email_variant_always_differs_and_keeps_an_address_shape() -> None:
    rng = random.Random(4)
    kinds: Counter[str] = Counter()
    for email in (
        "g.bellini@mail.it.example",
        "mbellini77@inbox.example",
        "anna_keller@example.net",
        "a@mail.example.com",
        "beppe.bellini+garage@inbox.example",
    ):
        for _ in range(300):
            variant, kind = email_variant(email, rng)
            kinds[kind] += 1
            assert variant != email
            assert EMAIL.match(variant), variant
            assert is_reserved_domain(variant.rsplit("@", 1)[1]), variant
            if kind in (
                "case",
                "plus_tag",
            ):  # the resolver's exact key already absorbs these
                assert normalise_email(variant) == normalise_email(email)
            if kind == "plus_tag":
                assert variant.split("@")[0].split("+")[1] in PLUS_TAGS
            if kind == "dots":
                assert variant.replace(".", "") == email.replace(".", "")
            if kind == "domain_typo":
                assert variant.split("@")[0] == email.split("@")[0]
                assert 1 <= levenshtein(variant, email) <= 2
    assert set(kinds) == {"case", "plus_tag", "dots", "domain_typo"}


def test_email_variant_examples() -> None:
    rng = random.Random(6)
    seen = {email_variant("g.bellini@mail.it.example", rng) for _ in range(400)}
    assert ("gbellini@mail.it.example", "dots") in seen
    assert ("g.bellini+garage@mail.it.example", "plus_tag") in seen
    assert ("G.Bellini@mail.it.example", "case") in seen
    assert any(k == "domain_typo" and v.endswith(".it.example") for v, k in seen)
    # no label of a bare reserved name may be typo'd: exmaple.com would be a real domain
    for _ in range(200):
        variant, kind = email_variant("anna@example.com", rng)
        assert kind != "domain_typo" and variant.lower().endswith("@example.com")
