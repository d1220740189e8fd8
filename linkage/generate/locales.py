"""Countries, scripts, names and phone numbers for the demo data generator.

Names come from Faker's locale *data* (its provider class attributes), read once per country and
turned into tables of ``Name(native, latin)``. No Faker object is ever created, so Faker's own
random state plays no part: every draw goes through the ``random.Random`` the caller passes in.

Phone numbers are drawn from number blocks that ``phonenumbers`` accepts as valid mobile (or
landline) numbers. Formatting a number with ``phonenumbers`` costs ~50 µs, so each block keeps a
template per format, checked against ``phonenumbers`` on first use; formatting a generated number
is then a string fill. Numbers from elsewhere take the slow, exact path.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import itertools
import math
import random
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from anyascii import anyascii
from phonenumbers import PhoneNumberFormat, PhoneNumberType

REGIONS = (
    "EU-S",
    "EU-C",
    "EU-N",
    "EU-E",
    "UK-IE",
    "NA",
    "LATAM",
    "MEA",
    "APAC-N",
    "APAC-S",
)
SCRIPTS = ("Latn", "Cyrl", "Grek", "Jpan", "Hans", "Hant", "Kore", "Arab", "Thai")


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str
    region: str  # one of REGIONS: the brand's regional subsidiaries
    script: str  # one of SCRIPTS: the script names are written in natively
    family_name_first: bool
    weight: float  # relative market size, drives pick_country
    email_domains: tuple[
        str, ...
    ]  # reserved example domains only (RFC 2606 / RFC 6761)
    dial_code: str  # "+39"


# --- reserved email domains ---------------------------------------------------------------
# RFC 2606 reserves the TLD ``.example`` and the second-level names example.com/.net/.org
# (with every subdomain). "example.it" or "example.de" are ordinary registrable names, so the
# per-country domains live under ``<cc>.example`` instead.
_RESERVED_SLDS = ("example.com", "example.net", "example.org")
SHARED_EMAIL_DOMAINS = ("inbox.example", "mail.example.com", "example.net")


def is_reserved_domain(domain: str) -> bool:
    """True when no real mailbox can exist at ``domain`` (case-insensitive)."""
    d = domain.lower().rstrip(".")
    return (
        d == "example"
        or d.endswith(".example")
        or any(d == s or d.endswith("." + s) for s in _RESERVED_SLDS)
    )


def _country(
    code: str,
    name: str,
    region: str,
    script: str,
    weight: float,
    mail_word: str = "post",
) -> Country:
    """One row of COUNTRIES; the dial code comes from phonenumbers so it cannot drift."""
    cc = code.lower()
    return Country(
        code=code,
        name=name,
        region=region,
        script=script,
        family_name_first=code in {"JP", "CN", "KR", "TW", "HU"},
        weight=weight,
        email_domains=(
            f"mail.{cc}.example",
            f"{mail_word}.{cc}.example",
            *SHARED_EMAIL_DOMAINS,
        ),
        dial_code=f"+{phonenumbers.country_code_for_region(code)}",
    )


# Weights are relative market sizes for a premium motorcycle/sports-car brand [assumption];
# the non-Latin-script share is ~15% of the total, as the domain brief asks.
COUNTRIES: tuple[Country, ...] = (
    # South Europe
    _country("IT", "Italy", "EU-S", "Latn", 14.0, "posta"),
    _country("ES", "Spain", "EU-S", "Latn", 5.0, "correo"),
    _country("PT", "Portugal", "EU-S", "Latn", 1.2, "correio"),
    _country("GR", "Greece", "EU-S", "Grek", 1.5, "mail"),
    _country("CY", "Cyprus", "EU-S", "Grek", 0.3, "mail"),
    # Central Europe
    _country("DE", "Germany", "EU-C", "Latn", 11.0),
    _country("AT", "Austria", "EU-C", "Latn", 2.0),
    _country("CH", "Switzerland", "EU-C", "Latn", 2.5),
    _country("FR", "France", "EU-C", "Latn", 8.0, "courriel"),
    _country("BE", "Belgium", "EU-C", "Latn", 2.0),
    _country("NL", "Netherlands", "EU-C", "Latn", 2.5),
    # North Europe
    _country("SE", "Sweden", "EU-N", "Latn", 1.5),
    _country("NO", "Norway", "EU-N", "Latn", 1.0),
    _country("DK", "Denmark", "EU-N", "Latn", 0.8),
    _country("FI", "Finland", "EU-N", "Latn", 0.6, "posti"),
    # East Europe and Turkey
    _country("PL", "Poland", "EU-E", "Latn", 1.5, "poczta"),
    _country("CZ", "Czechia", "EU-E", "Latn", 1.0, "posta"),
    _country("HU", "Hungary", "EU-E", "Latn", 0.8, "posta"),
    _country("RO", "Romania", "EU-E", "Latn", 0.6, "posta"),
    _country("HR", "Croatia", "EU-E", "Latn", 0.4, "posta"),
    _country("BG", "Bulgaria", "EU-E", "Cyrl", 0.4, "poshta"),
    _country("RS", "Serbia", "EU-E", "Cyrl", 0.4, "posta"),
    _country("RU", "Russia", "EU-E", "Cyrl", 2.0, "pochta"),
    _country("UA", "Ukraine", "EU-E", "Cyrl", 0.6, "poshta"),
    _country("TR", "Türkiye", "EU-E", "Latn", 1.0, "posta"),
    # United Kingdom and Ireland
    _country("GB", "United Kingdom", "UK-IE", "Latn", 6.0),
    _country("IE", "Ireland", "UK-IE", "Latn", 0.5),
    # North America
    _country("US", "United States", "NA", "Latn", 12.0),
    _country("CA", "Canada", "NA", "Latn", 2.0),
    # Latin America
    _country("MX", "Mexico", "LATAM", "Latn", 1.2, "correo"),
    _country("BR", "Brazil", "LATAM", "Latn", 2.5, "correio"),
    _country("AR", "Argentina", "LATAM", "Latn", 0.8, "correo"),
    _country("CL", "Chile", "LATAM", "Latn", 0.5, "correo"),
    # Middle East and Africa
    _country("AE", "United Arab Emirates", "MEA", "Arab", 0.8, "mail"),
    _country("SA", "Saudi Arabia", "MEA", "Arab", 0.6, "mail"),
    _country("EG", "Egypt", "MEA", "Arab", 0.3, "mail"),
    _country("MA", "Morocco", "MEA", "Arab", 0.3, "mail"),
    _country("ZA", "South Africa", "MEA", "Latn", 0.8),
    # Asia-Pacific North
    _country("JP", "Japan", "APAC-N", "Jpan", 3.5, "mail"),
    _country("CN", "China", "APAC-N", "Hans", 3.0, "mail"),
    _country("KR", "South Korea", "APAC-N", "Kore", 1.0, "mail"),
    _country("TW", "Taiwan", "APAC-N", "Hant", 0.8, "mail"),
    # Asia-Pacific South
    _country("AU", "Australia", "APAC-S", "Latn", 3.0),
    _country("NZ", "New Zealand", "APAC-S", "Latn", 0.6),
    _country("TH", "Thailand", "APAC-S", "Thai", 1.2, "mail"),
    _country("IN", "India", "APAC-S", "Latn", 1.2, "mail"),
    _country("ID", "Indonesia", "APAC-S", "Latn", 0.8, "surat"),
)
COUNTRY_BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

_CUMULATIVE = tuple(itertools.accumulate(c.weight for c in COUNTRIES))
_TOTAL_WEIGHT = _CUMULATIVE[-1]


def pick_country(rng: random.Random) -> Country:
    """A country drawn by market weight: one ``rng.random()`` and a bisect."""
    return COUNTRIES[bisect.bisect_right(_CUMULATIVE, rng.random() * _TOTAL_WEIGHT)]


# --- names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """One name in both forms the sources use: the person's own script, and Latin.

    ``latin`` is ASCII for non-Latin scripts (Дмитрий -> Dmitriy) and equals ``native``,
    diacritics included, for Latin-script countries (Müller).
    """

    native: str
    latin: str


@dataclass(frozen=True)
class NameTable:
    given_male: tuple[Name, ...]
    given_female: tuple[Name, ...]
    family: tuple[Name, ...]  # the base (male or invariant) form
    family_female: tuple[Name, ...]  # index-aligned with ``family``: Иванов -> Иванова

    @functools.cached_property
    def _feminine(self) -> dict[Name, Name]:
        return dict(zip(self.family, self.family_female, strict=True))

    def feminine(self, family: Name) -> Name:
        """The form a woman of the same family carries (unchanged where surnames have no gender)."""
        return self._feminine.get(family, family)


# Faker locales per country; several are merged. "ar" and "th" are curated pairs below: Faker has
# Arabic- and Thai-script names but no paired Latin form, and anyascii cannot restore the
# vowels Arabic script leaves out (أحمد -> "'hmd"). RS has no Faker locale: hr_HR names are
# written in Serbian Cyrillic (the Gaj and Vuk alphabets map one to one).
_LOCALES: dict[str, tuple[str, ...]] = {
    "IT": ("it_IT",),
    "ES": ("es_ES",),
    "PT": ("pt_PT",),
    "GR": ("el_GR",),
    "CY": ("el_GR",),
    "DE": ("de_DE",),
    "AT": ("de_AT",),
    "CH": ("de_CH", "fr_CH"),
    "FR": ("fr_FR",),
    "BE": ("nl_BE", "fr_BE"),
    "NL": ("nl_NL",),
    "SE": ("sv_SE",),
    "NO": ("no_NO",),
    "DK": ("da_DK",),
    "FI": ("fi_FI",),
    "PL": ("pl_PL",),
    "CZ": ("cs_CZ",),
    "HU": ("hu_HU",),
    "RO": ("ro_RO",),
    "HR": ("hr_HR",),
    "BG": ("bg_BG",),
    "RS": ("hr_HR",),
    "RU": ("ru_RU",),
    "UA": ("uk_UA",),
    "TR": ("tr_TR",),
    "GB": ("en_GB",),
    "IE": ("en_IE",),
    "US": ("en_US",),
    "CA": ("en_US", "fr_CA"),
    "MX": ("es_MX",),
    "BR": ("pt_BR",),
    "AR": ("es_AR",),
    "CL": ("es_CL",),
    "AE": ("ar",),
    "SA": ("ar",),
    "EG": ("ar",),
    "MA": ("ar",),
    "ZA": ("zu_ZA", "en_GB"),
    "JP": ("ja_JP",),
    "CN": ("zh_CN",),
    "KR": ("ko_KR",),
    "TW": ("zh_TW",),
    "AU": ("en_GB", "en_NZ"),
    "NZ": ("en_NZ",),
    "TH": ("th",),
    "IN": ("en_IN",),
    "ID": ("id_ID",),
}

# Countries whose surnames change with gender, and the rule set that derives the female form.
_GENDERED_SURNAMES: dict[str, str] = {
    "RU": "ru",
    "BG": "ru",
    "UA": "uk",
    "PL": "pl",
    "CZ": "cs",
    "GR": "el",
    "CY": "el",
}
_FEMININE_SUFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    # longest match first; a surname matching none keeps its form (-енко, -ич, -ук, Nowak)
    "ru": (
        ("ский", "ская"),
        ("цкий", "цкая"),
        ("ской", "ская"),
        ("ый", "ая"),
        ("ов", "ова"),
        ("ев", "ева"),
        ("ёв", "ёва"),
        ("ин", "ина"),
        ("ын", "ына"),
        ("ски", "ска"),  # Bulgarian
    ),
    "uk": (
        ("ський", "ська"),
        ("цький", "цька"),
        ("ий", "а"),  # noqa: RUF001 (Cyrillic/Greek on purpose)
        ("ов", "ова"),
        ("ев", "ева"),
        ("єв", "єва"),
        ("ін", "іна"),
        ("ин", "ина"),
    ),
    "pl": (("dzki", "dzka"), ("ski", "ska"), ("cki", "cka")),
    "cs": (
        ("ý", "á"),
        ("í", "í"),
        ("něk", "ňková"),
        ("ek", "ková"),
        ("a", "ová"),
        ("", "ová"),
    ),
    "el": (
        ("όπουλος", "οπούλου"),
        ("ίδης", "ίδου"),
        ("άδης", "άδου"),
        ("ος", "ου"),  # noqa: RUF001 (Cyrillic/Greek on purpose)
        ("ός", "ού"),
        ("ης", "η"),
        ("ής", "ή"),
        ("ας", "α"),  # noqa: RUF001 (Cyrillic/Greek on purpose)
        ("άς", "ά"),
    ),
}


def _feminine_form(surname: str, rules: str) -> str:
    """The female surname by suffix rules; the male/base form when no rule applies."""
    for suffix, replacement in _FEMININE_SUFFIXES[rules]:
        if surname.endswith(suffix):
            return surname[: len(surname) - len(suffix)] + replacement
    return surname


def _provider(locale: str) -> type:
    """Faker's person Provider class for ``locale`` (data only; never instantiated)."""
    module = importlib.import_module(f"faker.providers.person.{locale}")
    provider: type = module.Provider
    return provider


def _attr_names(provider: type, *attrs: str) -> list[str]:
    """The first of ``attrs`` the locale itself defines, as a flat list of strings.

    Faker stores names as tuples, lists or OrderedDicts of name -> weight; attributes inherited
    from Faker's base person provider ("John", "Doe") do not count.
    """
    from faker.providers.person import Provider as BaseProvider

    for attr in attrs:
        for cls in provider.__mro__:
            if cls is BaseProvider:
                break
            value = vars(cls).get(attr)
            if isinstance(value, Mapping):
                return [k for k in value if isinstance(k, str)]
            if isinstance(value, (tuple, list)):
                return [v for v in value if isinstance(v, str)]
    return []


_SCRIPT_PREFIXES: dict[str, tuple[str, ...]] = {
    "Latn": ("LATIN",),
    "Cyrl": ("CYRILLIC",),
    "Grek": ("GREEK",),
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
    "Hans": ("CJK",),
    "Hant": ("CJK",),
    "Kore": ("HANGUL",),
    "Arab": ("ARABIC",),
    "Thai": ("THAI",),
}


def _in_script(text: str, script: str) -> bool:
    """Every letter of ``text`` belongs to ``script`` (drops Faker's mixed-script slips)."""
    return all(_char_in_script(ch, script) for ch in text)


@functools.cache
def _char_in_script(ch: str, script: str) -> bool:
    """A letter of ``script``, a combining mark or name punctuation; cached, as the ~100k
    characters of the name tables are a few hundred distinct ones."""
    if ch in " -'\u2019.":
        return True
    category = unicodedata.category(ch)
    if category.startswith("M"):
        return True
    return category.startswith("L") and unicodedata.name(ch, "").startswith(
        _SCRIPT_PREFIXES[script]
    )


_NOT_NAME_LATIN = re.compile(r"[^A-Za-z -]")
_PARTS = re.compile(r"([ -])")


def _tidy_latin(text: str) -> str:
    """ASCII letters, spaces and hyphens only, each part capitalised: "natal'ya" -> "Natalya"."""
    text = _NOT_NAME_LATIN.sub("", text)
    parts = _PARTS.split(" ".join(text.split()))
    return "".join(p[:1].upper() + p[1:].lower() for p in parts).strip(" -")


_GREEK_VOICELESS = set("θκξπστφχψς")
_GREEK_DIGRAPHS = (("γγ", "ng"), ("γξ", "nx"), ("γχ", "nch"))  # noqa: RUF001


def _greek_latin(text: str) -> str:
    """ELOT 743, as on Greek passports (ou, av/ef, ng digraphs), then anyascii for the rest."""
    s = unicodedata.normalize("NFD", text.lower()).replace("\u0301", "")
    out: list[str] = []
    i = 0
    while i < len(s):
        pair = s[i : i + 2]
        followed_by_diaeresis = s[i + 2 : i + 3] == "\u0308"
        if pair == "ου" and not followed_by_diaeresis:  # noqa: RUF001
            out.append("ou")
            i += 2
        elif pair in ("αυ", "ευ", "ηυ") and not followed_by_diaeresis:  # noqa: RUF001
            nxt = s[i + 2 : i + 3]
            v = "f" if (not nxt or nxt in _GREEK_VOICELESS) else "v"
            out.append({"α": "a", "ε": "e", "η": "i"}[pair[0]] + v)  # noqa: RUF001
            i += 2
        else:
            for greek, latin in _GREEK_DIGRAPHS:
                if pair == greek:
                    out.append(latin)
                    i += 2
                    break
            else:
                out.append(s[i])
                i += 1
    return anyascii("".join(out))


def _words(text: str) -> tuple[str, ...]:
    """A table written as space-separated words ("-" for an empty entry)."""
    return tuple("" if w == "-" else w for w in text.split())


# Revised Romanization of Korean, per syllable (as in personal names: 민준 -> Minjun).
_KO_INITIAL = _words("g kk n d tt r m b pp s ss - j jj ch k t p h")
_KO_MEDIAL = _words("a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i")
_KO_FINAL = _words("- k k k n n n t l k m l l l p l m p p t t ng t t k t p t")


def _korean_latin(text: str, *, surname: bool = False) -> str:
    if surname and text in _KO_SURNAMES:
        return _KO_SURNAMES[text].latin
    out: list[str] = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            out.append(anyascii(ch))
            continue
        initial, medial, final = code // 588, (code % 588) // 28, code % 28
        out += (_KO_INITIAL[initial], _KO_MEDIAL[medial], _KO_FINAL[final])
    return "".join(out)


_SR_CYRILLIC = {
    "lj": "љ",
    "nj": "њ",
    "dž": "џ",
    **dict(
        zip("abvgdđežzijklmnoprstćufhcčš", "абвгдђежзијклмнопрстћуфхцчш", strict=True)
    ),
}
_SR_ASCII = str.maketrans(
    {"đ": "dj", "Đ": "Dj"}
)  # then anyascii: Đorđević -> Djordjevic


def _serbian_cyrillic(latin: str) -> str | None:
    """Gaj Latin -> Vuk Cyrillic; None for names with letters Serbian does not use (q, w, x, y)."""
    out: list[str] = []
    i = 0
    low = latin.lower()
    while i < len(low):
        two = low[i : i + 2]
        key = two if two in _SR_CYRILLIC else low[i]
        if key not in _SR_CYRILLIC:
            if low[i] in " -":
                out.append(low[i])
                i += 1
                continue
            return None
        cyr = _SR_CYRILLIC[key]
        out.append(cyr.upper() if latin[i].isupper() else cyr)
        i += len(key)
    return "".join(out)


def _latin_form(native: str, script: str, *, surname: bool = False) -> str:
    """The ASCII Latin spelling a person from a non-Latin-script country would use."""
    if script == "Grek":
        raw = _greek_latin(native)
    elif script == "Kore":
        raw = _korean_latin(native, surname=surname)
    else:
        raw = anyascii(native)
    return _tidy_latin(raw)


def _dedupe(names: Iterable[Name]) -> tuple[Name, ...]:
    """Keep the first of each native form, drop blanks, keep Faker's order."""
    seen: dict[str, Name] = {}
    for n in names:
        if n.native and n.latin and n.native not in seen:
            seen[n.native] = n
    return tuple(seen.values())


def _from_pairs(pairs: Iterable[tuple[str, str]]) -> list[Name]:
    return [Name(native, latin) for native, latin in pairs]


def _faker_names(country: Country, locales: tuple[str, ...]) -> NameTable:
    male: list[Name] = []
    female: list[Name] = []
    family: list[Name] = []
    family_f: list[Name] = []
    rules = _GENDERED_SURNAMES.get(country.code)

    if locales == ("ja_JP",):
        from faker.providers.person.ja_JP import Provider as JaProvider

        # Faker pairs each Japanese name with its kana and a romanized form (佐藤 / サトウ / Sato).
        male = _from_pairs((n, r) for n, _, r in JaProvider.first_name_male_pairs)
        female = _from_pairs((n, r) for n, _, r in JaProvider.first_name_female_pairs)
        family = _from_pairs((n, r) for n, _, r in JaProvider.last_name_pairs)
        family_f = list(family)
    else:
        for locale in locales:
            p = _provider(locale)
            for src, dst in (
                ("first_names_male", male),
                ("first_names_female", female),
            ):
                for raw in _attr_names(p, src, "first_names"):
                    dst.extend(_names_in(country, raw.strip(), surname=False))
            surnames = _attr_names(
                p, "last_names_male", "male_last_names"
            ) + _attr_names(p, "unisex_last_names")
            if not rules or not surnames:
                surnames = _attr_names(p, "last_names")
            for raw in surnames:
                for base in _names_in(country, raw.strip(), surname=True):
                    family.append(base)
                    if rules:
                        fem = _feminine_form(base.native, rules)
                        family_f.append(
                            base
                            if fem == base.native
                            else _name(country, fem, surname=True)
                        )
                    else:
                        family_f.append(base)
    if country.code == "CN":
        male, female = _two_character(male), _two_character(female)
    return _table(male, female, family, family_f)


def _two_character(singles: list[Name]) -> list[Name]:
    """Faker's zh_CN given names are single characters; most real ones have two (伟强 Weiqiang)."""
    chars = [n for n in singles if len(n.native) == 1]
    return singles + [
        Name(a.native + b.native, a.latin + b.latin.lower())
        for a in chars
        for b in chars
        if a != b
    ]


def _name(country: Country, native: str, *, surname: bool) -> Name:
    if country.script == "Latn":
        return Name(native, native)
    return Name(native, _latin_form(native, country.script, surname=surname))


def _names_in(country: Country, raw: str, *, surname: bool) -> list[Name]:
    """``raw`` as a Name of ``country`` (0 or 1 of them): checked for script and shape."""
    if not raw:
        return []
    if country.code == "RS":  # hr_HR data, written in Serbian Cyrillic
        if not _in_script(raw, "Latn"):
            return []
        cyr = _serbian_cyrillic(raw)
        return (
            [Name(cyr, _tidy_latin(anyascii(raw.translate(_SR_ASCII))))] if cyr else []
        )
    if not _in_script(raw, country.script):
        return []
    if country.script in ("Jpan", "Hans", "Hant", "Kore") and " " in raw:
        return []
    return [_name(country, raw, surname=surname)]


def _table(
    male: list[Name], female: list[Name], family: list[Name], family_f: list[Name]
) -> NameTable:
    given_male, given_female = _dedupe(male), _dedupe(female)
    seen: set[str] = set()
    fam: list[Name] = []
    fam_f: list[Name] = []
    for base, fem in zip(family, family_f, strict=True):
        if base.native and base.latin and base.native not in seen:
            seen.add(base.native)
            fam.append(base)
            fam_f.append(fem)
    return NameTable(given_male, given_female, tuple(fam), tuple(fam_f))


def _curated(pairs: str) -> list[Name]:
    """'native:Latin native:Latin ...' -> Names (for the scripts Faker gives no Latin form)."""
    return [Name(*item.split(":")) for item in pairs.split()]


# Korean surnames keep their customary passport spellings rather than strict RR (김 Kim, not Gim).
_KO_SURNAMES: dict[str, Name] = {
    n.native: n
    for n in _curated(
        "김:Kim 이:Lee 박:Park 정:Jung 최:Choi 조:Cho 강:Kang 윤:Yoon 장:Jang 임:Lim 한:Han "
        "오:Oh 서:Seo 신:Shin 권:Kwon 황:Hwang 안:Ahn 송:Song 류:Ryu 유:Yoo 홍:Hong 전:Jeon "
        "고:Ko 문:Moon 양:Yang 손:Son 배:Bae 백:Baek 허:Heo 노:Noh 남:Nam 심:Shim 하:Ha 곽:Kwak "
        "성:Sung 차:Cha 주:Joo 우:Woo 구:Koo 민:Min 진:Jin 지:Ji 엄:Eom 채:Chae 원:Won 천:Cheon "
        "방:Bang 공:Kong 현:Hyun 함:Ham 변:Byun 염:Yeom 여:Yeo 추:Choo 도:Do 소:So 석:Seok "
        "선:Sun 설:Seol 마:Ma 길:Gil 연:Yeon 위:Wi 표:Pyo 명:Myung 기:Ki 반:Ban 라:Ra 왕:Wang "
        "금:Keum 옥:Ok 육:Yook 인:In 맹:Maeng 제:Je 모:Mo 탁:Tak 국:Kook 어:Eo 은:Eun 용:Yong "
        "예:Ye 경:Kyung 봉:Bong 사:Sa 부:Boo 가:Ga 태:Tae 목:Mok 형:Hyung 피:Pi 두:Doo 감:Kam"
    )
}

# Common Arabic names with the Latin spellings used on passports and in Gulf/Egyptian/Maghreb
# CRMs. One spelling per name; the resolver must survive the others (Mohammed/Mohamed).
_AR_MALE = _curated(
    "محمد:Mohammed أحمد:Ahmed علي:Ali عمر:Omar خالد:Khaled يوسف:Youssef إبراهيم:Ibrahim "
    "حسن:Hassan حسين:Hussein عبدالله:Abdullah عبدالرحمن:Abdulrahman سعيد:Saeed سلمان:Salman "
    "فيصل:Faisal ماجد:Majed طارق:Tarek كريم:Karim مصطفى:Mostafa محمود:Mahmoud هشام:Hisham "
    "وليد:Walid ياسر:Yasser زياد:Ziad رامي:Rami سامي:Sami عادل:Adel نبيل:Nabil أمين:Amin "
    "حمزة:Hamza بلال:Bilal جمال:Jamal منصور:Mansour ناصر:Nasser راشد:Rashed سلطان:Sultan "
    "فهد:Fahad تركي:Turki نايف:Nayef عثمان:Othman أنس:Anas مروان:Marwan عمرو:Amr شريف:Sherif "
    "هاني:Hani سالم:Salem"
)
_AR_FEMALE = _curated(
    "فاطمة:Fatima عائشة:Aisha مريم:Maryam نور:Nour سارة:Sara ليلى:Layla هدى:Huda أمل:Amal "
    "رنا:Rana ريم:Reem دينا:Dina منى:Mona سلمى:Salma ياسمين:Yasmin هبة:Heba نادية:Nadia "
    "سميرة:Samira خديجة:Khadija زينب:Zainab لينا:Lina هند:Hind رغد:Raghad شيماء:Shaimaa "
    "آمنة:Amina جميلة:Jamila إيمان:Iman حنان:Hanan سعاد:Souad وفاء:Wafaa غادة:Ghada لمى:Lama "
    "دانة:Dana جود:Joud رهف:Rahaf نجلاء:Naglaa"
)
_AR_FAMILY = _curated(
    "العلي:Al-Ali الأحمد:Al-Ahmad الشمري:Al-Shammari القحطاني:Al-Qahtani العتيبي:Al-Otaibi "
    "الدوسري:Al-Dosari الحربي:Al-Harbi الزهراني:Al-Zahrani الغامدي:Al-Ghamdi المطيري:Al-Mutairi "
    "الشهري:Al-Shehri المنصوري:Al-Mansouri الكعبي:Al-Kaabi الهاشمي:Al-Hashimi النعيمي:Al-Nuaimi "
    "المهيري:Al-Muhairi حداد:Haddad خوري:Khoury منصور:Mansour سالم:Salem عثمان:Othman "
    "عبدالعزيز:Abdelaziz العلوي:Alaoui بناني:Bennani التازي:Tazi الإدريسي:Idrissi برادة:Berrada "
    "فهمي:Fahmy فاروق:Farouk نجيب:Naguib شوقي:Shawky عزت:Ezzat حمدي:Hamdy سليمان:Soliman "
    "غانم:Ghanem الصباغ:Sabbagh"
)
# Common Thai names with their usual (RTGS-based) Latin spelling.
_TH_MALE = _curated(
    "สมชาย:Somchai สมศักดิ์:Somsak สมพงษ์:Sompong ประเสริฐ:Prasert วิชัย:Wichai สุชาติ:Suchat "
    "อนันต์:Anan ชัยวัฒน์:Chaiwat ณัฐพล:Nattaphon กิตติ:Kitti สุรชัย:Surachai ธนากร:Thanakon "
    "วีระ:Wira อภิชาติ:Aphichat ศักดิ์ชัย:Sakchai ธนวัฒน์:Thanawat สุริยา:Suriya นพดล:Noppadon "
    "ชาตรี:Chatri ปิยะ:Piya เกียรติศักดิ์:Kiattisak อรรถพล:Atthaphon"
)
_TH_FEMALE = _curated(
    "สมศรี:Somsri มาลี:Mali สุภาพร:Suphaphon กัญญา:Kanya ปราณี:Prani วันเพ็ญ:Wanphen "
    "นภา:Napha ศิริพร:Siriphon พิมพ์ชนก:Phimchanok สุดารัตน์:Sudarat รัตนา:Rattana "
    "อัญชลี:Anchali จิราพร:Chiraphon ธิดา:Thida ปิยะนุช:Piyanut วิไล:Wilai สุนิสา:Sunisa "
    "นิตยา:Nittaya ดวงใจ:Duangjai ชนิดา:Chanida"
)
_TH_FAMILY = _curated(
    "สุขสวัสดิ์:Suksawat ศรีสุข:Srisuk แสงทอง:Saengthong วงศ์สวัสดิ์:Wongsawat ทองดี:Thongdi "
    "บุญมา:Bunma ใจดี:Chaidi รัตนพันธ์:Rattanaphan ศรีสมบูรณ์:Srisombun พรหมวงศ์:Phromwong "
    "จันทร์แก้ว:Chankaeo มณีรัตน์:Manirat ทองคำ:Thongkham สายทอง:Saithong เพชรรัตน์:Phetcharat "
    "บุญเรือง:Bunruang แก้วมณี:Kaewmani สมบูรณ์:Sombun กาญจนวงศ์:Kanchanawong วัฒนา:Watthana "
    "สิทธิชัย:Sitthichai ศรีวงศ์:Sriwong"
)


@functools.cache
def names_for(country: str) -> NameTable:
    """The name table of ``country`` (ISO alpha-2), built on first use and cached."""
    c = COUNTRY_BY_CODE[country]
    locales = _LOCALES[country]
    if locales == ("ar",):
        return _table(_AR_MALE, _AR_FEMALE, _AR_FAMILY, list(_AR_FAMILY))
    if locales == ("th",):
        return _table(_TH_MALE, _TH_FEMALE, _TH_FAMILY, list(_TH_FAMILY))
    return _faker_names(c, locales)


# --- phone numbers ----------------------------------------------------------------------------

PhoneKind = Literal[
    "national", "national_spaced", "international_spaced", "e164", "00_prefix"
]
PHONE_KINDS: tuple[PhoneKind, ...] = (
    "national",
    "national_spaced",
    "international_spaced",
    "e164",
    "00_prefix",
)
_MOBILE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_LANDLINE_TYPES = frozenset(
    {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_NUMBERS_PER_COUNTRY = 10**8  # few accidental shared numbers even at 1M persons
_MAX_BLOCKS = 20
_BLOCK_SAMPLES = 4  # per block, numbers cross-checked with phonenumbers itself
_TEMPLATE_CHECKS = 6
_MAX_DRAWS = 200
_TAIL_STARTS = tuple(f"{i:02d}" for i in range(100))


@dataclass(frozen=True)
class _Block:
    """Numbers ``+<cc><head><tail digits>``, nearly all of them valid."""

    head: str
    tail: int


_Desc = tuple[frozenset[int], re.Pattern[str]]
_NO_DESC: _Desc = (frozenset({-1}), re.compile(r"(?!)"))  # matches nothing


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return _NO_DESC
    return frozenset(desc.possible_length or ()), re.compile(
        desc.national_number_pattern
    )


def _matches(desc: _Desc, nsn: str) -> bool:
    lengths, pattern = desc
    return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None


@dataclass(frozen=True)
class _TypeCheck:
    """phonenumbers' number-type rules for one region, with the patterns compiled once.

    ``phonenumbers.number_type`` costs ~60 µs because it looks its regexes up on every call;
    this mirror of its ``_number_type_helper`` costs a few µs, so every drawn number can be
    checked. Special types (premium, toll-free, VoIP...) are never wanted, so they share one
    pattern per number length. The tests hold the mirror to phonenumbers' own verdict.
    """

    general: _Desc
    special: Mapping[int, re.Pattern[str]]
    fixed: _Desc
    mobile: _Desc
    same_mobile_and_fixed: bool

    @classmethod
    def of(cls, region: str) -> _TypeCheck:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if md is None:
            raise ValueError(f"phonenumbers has no metadata for {region}")
        special = [
            d
            for d in (
                md.premium_rate,
                md.toll_free,
                md.shared_cost,
                md.voip,
                md.personal_number,
                md.pager,
                md.uan,
                md.voicemail,
            )
            if d is not None and d.national_number_pattern
        ]
        general = _desc(md.general_desc)
        by_length: dict[int, re.Pattern[str]] = {}
        for n in general[0] or range(1, 18):
            patterns = [
                f"(?:{d.national_number_pattern})"
                for d in special
                if not d.possible_length or n in d.possible_length
            ]
            if patterns:
                by_length[n] = re.compile("|".join(patterns))
        return cls(
            general=general,
            special=by_length,
            fixed=_desc(md.fixed_line),
            mobile=_desc(md.mobile),
            same_mobile_and_fixed=bool(md.same_mobile_and_fixed_line_pattern),
        )

    def number_type(self, nsn: str) -> int:
        if not _matches(self.general, nsn):
            return PhoneNumberType.UNKNOWN
        special = self.special.get(len(nsn))
        if special is not None and special.fullmatch(nsn):
            return PhoneNumberType.UNKNOWN  # a special type: never one we want
        if _matches(self.fixed, nsn):
            if self.same_mobile_and_fixed or _matches(self.mobile, nsn):
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self.same_mobile_and_fixed and _matches(self.mobile, nsn):
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


@dataclass(frozen=True)
class _PhonePlan:
    region: str
    cc: str
    types: _TypeCheck
    # AR, BR and JP rewrite national numbers while parsing them ("011 15..." is read as an
    # Argentinian mobile), so there a drawn landline must also survive its national spelling.
    check_national: bool
    mobile: tuple[_Block, ...]
    landline: tuple[_Block, ...]
    by_head: Mapping[str, _Block]
    head_lengths: tuple[int, ...]
    kinds: tuple[PhoneKind, ...]


def _parse(e164: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(e164, None)


def _number(cc: str, nsn: str) -> phonenumbers.PhoneNumber:
    """What ``phonenumbers.parse`` returns for "+<cc><nsn>", without its ~60 µs of parsing."""
    zeros = len(nsn) - len(nsn.lstrip("0")) if len(nsn) > 1 else 0
    return phonenumbers.PhoneNumber(
        country_code=int(cc),
        national_number=int(nsn),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def _slow_format(number: phonenumbers.PhoneNumber, kind: str) -> str:
    """The phonenumbers rendering of ``number`` as ``kind``: the reference for templates."""
    if kind == "e164":
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if kind == "00_prefix":
        return "00" + phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    if kind == "international_spaced":
        return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return national if kind == "national_spaced" else re.sub(r"\D", "", national)


def _parses_back(region: str, cc: str, nsn: str, kind: str) -> bool:
    """Whether ``nsn`` written as ``kind`` parses back to itself with ``region`` as default."""
    try:
        back = phonenumbers.parse(_slow_format(_number(cc, nsn), kind), region)
    except phonenumbers.NumberParseException:
        return False
    return (
        back.country_code == int(cc)
        and phonenumbers.national_significant_number(back) == nsn
    )


def _block_ok(
    region: str,
    cc: str,
    block: _Block,
    types: frozenset[int],
    checker: _TypeCheck,
    check: random.Random,
) -> bool:
    """Whether every 2-digit start of the tail gives a valid number of ``types``.

    A few numbers are also checked with phonenumbers itself, including the region: where a
    calling code is shared, +1 505 is New Mexico, not Canada.
    """
    t = block.tail
    for start in _TAIL_STARTS if t > 2 else ("",):
        rest = t - len(start)
        nsn = f"{block.head}{start}{check.randrange(10**rest):0{rest}d}"
        if checker.number_type(nsn) not in types:
            return False
    for _ in range(_BLOCK_SAMPLES):
        n = _number(cc, f"{block.head}{check.randrange(10**t):0{t}d}")
        if phonenumbers.number_type(n) not in types:
            return False
        if phonenumbers.region_code_for_number(n) != region:
            return False
    return True


def _blocks(
    region: str, cc: str, ntype: int, types: frozenset[int], checker: _TypeCheck
) -> tuple[_Block, ...]:
    """Blocks of valid numbers around phonenumbers' example number for ``region``/``ntype``.

    The example's last digits become the free tail (as long as the numbers stay valid); its
    head is then varied in its last 1-3 digits to find more blocks.
    """
    example = phonenumbers.example_number_for_type(region, ntype)
    if example is None:
        return ()
    nsn = phonenumbers.national_significant_number(example)
    check = random.Random(
        f"{region}:{ntype}"
    )  # private and seeded: plans are reproducible
    for tail in range(min(7, len(nsn) - 2), 2, -1):
        if _block_ok(region, cc, _Block(nsn[:-tail], tail), types, checker, check):
            break
    else:
        return ()
    head0 = nsn[:-tail]
    wanted = max(1, min(_MAX_BLOCKS, math.ceil(_NUMBERS_PER_COUNTRY / 10**tail)))
    heads = [head0]
    for vary in (1, 2, 3):
        if len(heads) >= wanted or vary > len(head0):
            break
        candidates = [f"{head0[:-vary]}{i:0{vary}d}" for i in range(10**vary)]
        check.shuffle(candidates)
        for h in candidates:
            if len(heads) >= wanted:
                break
            block = _Block(h, tail)
            if h not in heads and _block_ok(region, cc, block, types, checker, check):
                heads.append(h)
    return tuple(_Block(h, tail) for h in sorted(heads))


def _template(formatted: str, tail: int) -> str | None:
    """``formatted`` with its last ``tail`` digits turned into "{}" slots."""
    chars = list(formatted.replace("{", "{{").replace("}", "}}"))
    left = tail
    for i in range(len(chars) - 1, -1, -1):
        if left == 0:
            break
        if chars[i].isdigit():
            chars[i] = "{}"
            left -= 1
    return "".join(chars) if left == 0 else None


@functools.cache
def _templates(cc: str, block: _Block) -> Mapping[str, str]:
    """Per kind, a template that reproduces phonenumbers on sampled numbers of the block.

    A kind whose layout depends on the tail digits gets no template (the slow path formats it).
    """
    check = random.Random(f"{cc}:{block.head}")
    t = block.tail
    nsns = [
        f"{block.head}{check.randrange(10**t):0{t}d}" for _ in range(_TEMPLATE_CHECKS)
    ]
    out: dict[str, str] = {}
    for kind in PHONE_KINDS:
        first = _template(_slow_format(_number(cc, nsns[0]), kind), t)
        if first is not None and all(
            first.format(*nsn[-t:]) == _slow_format(_number(cc, nsn), kind)
            for nsn in nsns[1:]
        ):
            out[kind] = first
    return out


@functools.cache
def _phone_plan(country: str) -> _PhonePlan:
    cc = str(phonenumbers.country_code_for_region(country))
    checker = _TypeCheck.of(country)
    mobile = _blocks(country, cc, PhoneNumberType.MOBILE, _MOBILE_TYPES, checker)
    if not mobile:
        raise ValueError(f"phonenumbers has no mobile example for {country}")
    landline = (
        _blocks(country, cc, PhoneNumberType.FIXED_LINE, _LANDLINE_TYPES, checker)
        or mobile
    )
    by_head = {b.head: b for b in (*landline, *mobile)}
    # "00" is not the international prefix everywhere (011 in North America, 8~10 in Russia,
    # 001/002 in Korea...): a kind is offered only where it parses back in the country itself.
    probes = [
        b.head + "3" * b.tail
        for b in (mobile[0], mobile[-1], landline[0], landline[-1])
    ]
    kinds = tuple(
        k
        for k in PHONE_KINDS
        if all(_parses_back(country, cc, nsn, k) for nsn in probes)
    )
    md = phonenumbers.PhoneMetadata.metadata_for_region(country)
    return _PhonePlan(
        region=country,
        cc=cc,
        types=checker,
        check_national=bool(md is not None and md.national_prefix_transform_rule),
        mobile=mobile,
        landline=landline,
        by_head=by_head,
        head_lengths=tuple(sorted({len(h) for h in by_head})),
        kinds=kinds,
    )


def _draw(
    rng: random.Random,
    plan: _PhonePlan,
    blocks: tuple[_Block, ...],
    types: frozenset[int],
    check_national: bool,
) -> str:
    """A valid number from ``blocks``; the rare invalid draw is simply drawn again."""
    for _ in range(_MAX_DRAWS):
        block = blocks[rng.randrange(len(blocks))]
        nsn = f"{block.head}{rng.randrange(10**block.tail):0{block.tail}d}"
        if plan.types.number_type(nsn) in types and (
            not check_national or _parses_back(plan.region, plan.cc, nsn, "national")
        ):
            return f"+{plan.cc}{nsn}"
    raise RuntimeError(f"no valid number drawn for {plan.region}")  # pragma: no cover


def fake_mobile(rng: random.Random, country: str) -> str:
    """A valid mobile number of ``country`` in E.164 ("+393101234567")."""
    plan = _phone_plan(country)
    # the parse-time rewrite targets mobiles, so they always survive it
    return _draw(rng, plan, plan.mobile, _MOBILE_TYPES, check_national=False)


def fake_landline(rng: random.Random, country: str) -> str:
    """A valid fixed-line number of ``country`` in E.164 (the one a household shares)."""
    plan = _phone_plan(country)
    return _draw(rng, plan, plan.landline, _LANDLINE_TYPES, plan.check_national)


def phone_kinds(country: str) -> tuple[PhoneKind, ...]:
    """The formats in which a number of ``country`` is written and still parses back there."""
    return _phone_plan(country).kinds


def split_e164(e164: str, country: str) -> tuple[str, str]:
    """("39", "3315551234") for "+393315551234"; a foreign number keeps its own code."""
    cc = _phone_plan(country).cc
    if e164.startswith("+" + cc):
        return cc, e164[len(cc) + 1 :]
    n = _parse(e164)
    return str(n.country_code), phonenumbers.national_significant_number(n)


def format_phone(e164: str, country: str, kind: str) -> str:
    """``e164`` written as ``kind`` (one of PHONE_KINDS), as someone in ``country`` would."""
    plan = _phone_plan(country)
    if e164.startswith("+" + plan.cc):
        nsn = e164[len(plan.cc) + 1 :]
        for length in plan.head_lengths:
            block = plan.by_head.get(nsn[:length])
            if block is not None and len(nsn) == length + block.tail:
                template = _templates(plan.cc, block).get(kind)
                if template is not None:
                    return template.format(*nsn[length:])
                return _slow_format(_number(plan.cc, nsn), kind)
    return _slow_format(_parse(e164), kind)


def format_phone_national(e164: str, country: str) -> str:
    """The national way to write ``e164`` ("331 555 1234", "0151 23456789")."""
    return format_phone(e164, country, "national_spaced")
