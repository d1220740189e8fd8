"""The world around the people: brand, models, dealers, clubs and events.

Only the fictional demo brands of the domain brief are used (Velatra Motocicli, Marenvale
Automobili). The world is small and built up front; people are streamed past it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from linkage.generate.locales import COUNTRIES, COUNTRY_BY_CODE, Country
from linkage.normalise.vins import check_digit

VIN_YEAR_CODES = (
    "ABCDEFGHJKLMNPRSTVWXY123456789"  # ISO 3779 model-year letters from 1980
)


@dataclass(frozen=True)
class ModelLine:
    code: str
    name: str
    family: str
    segment: str
    price_eur: int
    vds: str  # 5 characters of the VIN's descriptor section
    first_year: int
    last_year: int
    limited_units: int | None = None
    special_trim_units: int | None = None
    special_trim: str | None = None


@dataclass(frozen=True)
class Brand:
    key: str
    name: str
    short: str
    wmi: str
    vehicle_label: str
    models: tuple[ModelLine, ...]
    has_clubs: bool
    referral_mechanisms: tuple[str, ...]
    event_types: tuple[tuple[str, str, int], ...]  # (type, display name, capacity)
    home_country: str | None  # sports cars: centres in one country


VELATRA = Brand(
    key="moto",
    name="Velatra Motocicli",
    short="Velatra",
    wmi="ZVL",
    vehicle_label="Motorcycle",
    models=(
        ModelLine("V96", "V96", "Heritage", "heritage", 16000, "V96H0", 2012, 2018),
        ModelLine("V98", "V98", "Heritage", "heritage", 17500, "V98H0", 2014, 2019),
        ModelLine("NV4", "Nembo V4", "Nembo", "superbike", 28500, "NV4S0", 2018, 2026),
        ModelLine("S950", "Strale 950", "Strale", "naked", 14500, "S95N0", 2017, 2026),
        ModelLine(
            "A800", "Argine 800", "Argine", "scrambler", 11200, "A80C0", 2016, 2026
        ),
        ModelLine(
            "T1300", "Tauro 1300", "Tauro", "power cruiser", 24000, "T13P0", 2019, 2026
        ),
        ModelLine(
            "NV4-ATL",
            "Nembo V4 Atelier",
            "Nembo",
            "superbike",
            72000,
            "NV4A0",
            2025,
            2026,
            limited_units=500,
            special_trim_units=50,
            special_trim="Signature",
        ),
    ),
    has_clubs=True,
    referral_mechanisms=("event_guest", "club_sponsor", "declared"),
    event_types=(
        ("riding_academy", "Riding Academy", 40),
        ("factory_experience", "Factory Experience", 60),
        ("club_rally", "VOC rally", 150),
        ("launch_preview", "Launch preview", 120),
        ("track_session", "Inner Circle track session", 30),
        ("world_festival", "Velatra World Festival", 5000),
    ),
    home_country=None,
)

MARENVALE = Brand(
    key="car",
    name="Marenvale Automobili",
    short="Marenvale",
    wmi="ZMV",
    vehicle_label="Car",
    models=(
        ModelLine("AST", "Aster", "Aster", "2-door GT", 210000, "AST20", 2016, 2026),
        ModelLine(
            "AST-GTS", "Aster GTS", "Aster", "2-door GT", 245000, "ASTG0", 2019, 2026
        ),
        ModelLine("COR", "Corvina", "Corvina", "4-door", 180000, "CRV40", 2017, 2026),
        ModelLine("VEN", "Ventra", "Ventra", "SUV", 150000, "VENS0", 2018, 2026),
        ModelLine("ION", "Ionis", "Ionis", "electric", 120000, "LNSE0", 2022, 2026),
        ModelLine(
            "AST-SPC",
            "Aster Speciale",
            "Aster",
            "2-door GT",
            390000,
            "ASTS0",
            2024,
            2026,
            limited_units=250,
        ),
    ),
    has_clubs=False,
    referral_mechanisms=("voucher", "event_guest", "declared"),
    event_types=(
        ("acquisition_event", "Acquisition event", 80),
        ("roadshow", "Marenvale Roadshow", 60),
        ("launch_event", "Launch event", 150),
        ("track_tasting", "Track Tasting", 24),
        ("experience_drive", "Experience Centre drive", 20),
    ),
    home_country="IT",
)

BRANDS = {b.key: b for b in (VELATRA, MARENVALE)}

CAR_CENTRE_CITIES = (
    "Verona",
    "Milano",
    "Torino",
    "Roma",
    "Bologna",
    "Firenze",
    "Napoli",
    "Padova",
    "Brescia",
    "Bergamo",
    "Genova",
    "Bari",
    "Palermo",
    "Trieste",
    "Parma",
    "Modena",
    "Venezia",
    "Lecce",
    "Catania",
    "Perugia",
    "Pescara",
    "Ancona",
    "Cagliari",
    "Trento",
    "Bolzano",
    "Udine",
    "Vicenza",
    "Treviso",
    "Reggio Emilia",
    "Como",
)
NAMED_CLUBS = {
    "DE": "VOC Lago Nord",
    "CH": "VOC Alpine Riders",
    "FR": "VOC Costa Azzurra",
    "NO": "VOC Nordkapp",
    "JP": "VOC Osaka Bay",
}


@dataclass(frozen=True)
class Dealer:
    code: str
    name: str
    country: str
    kind: str  # dealer | centre | experience_centre


@dataclass(frozen=True)
class Club:
    code: str
    name: str
    dealer: str
    country: str
    founded: dt.date


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    name: str
    start: dt.date
    country: str
    capacity: int
    organiser: str  # brand | dealer | club
    dealer: str | None
    club: str | None


@dataclass
class World:
    brand: Brand
    as_of: dt.date
    dealers: list[Dealer]
    clubs: list[Club]
    events: list[Event]
    countries: tuple[Country, ...]
    dealers_by_country: dict[str, list[Dealer]] = field(default_factory=dict)
    clubs_by_dealer: dict[str, list[Club]] = field(default_factory=dict)
    _vin_serial: int = 0
    sold: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for d in self.dealers:
            if d.kind != "experience_centre":
                self.dealers_by_country.setdefault(d.country, []).append(d)
        for c in self.clubs:
            self.clubs_by_dealer.setdefault(c.dealer, []).append(c)

    def sold_out(self, model: ModelLine) -> bool:
        return (
            model.limited_units is not None
            and self.sold.get(model.code, 0) >= model.limited_units
        )

    def model(self, code: str) -> ModelLine:
        return next(m for m in self.brand.models if m.code == code)

    def new_vin(self, model: ModelLine, year: int) -> str:
        """A fresh VIN with a valid ISO 3779 check digit; serials never repeat in a run."""
        self._vin_serial += 1
        self.sold[model.code] = self.sold.get(model.code, 0) + 1
        year_code = VIN_YEAR_CODES[(year - 1980) % len(VIN_YEAR_CODES)]
        body = f"{self.brand.wmi}{model.vds}0{year_code}B{self._vin_serial:06d}"
        return body[:8] + check_digit(body) + body[9:]


def build_world(
    brand_key: str,
    people: int,
    as_of: dt.date,
    history_years: int,
    per_dealer: int,
    min_dealers: int,
    max_dealers: int,
    clubs_per_dealer: float,
    events_per_1000: int,
    rng: random.Random,
) -> World:
    """Dealers, clubs and events sized for ``people``; deterministic for ``rng``'s seed."""
    brand = BRANDS[brand_key]
    if brand.home_country:
        countries: tuple[Country, ...] = (COUNTRY_BY_CODE[brand.home_country],)
        dealers = [
            Dealer(
                f"{brand.home_country}-C{i + 1:02d}",
                f"Marenvale Centre {city}",
                brand.home_country,
                "centre",
            )
            for i, city in enumerate(CAR_CENTRE_CITIES)
        ]
        dealers += [
            Dealer(
                f"{brand.home_country}-X{i + 1:02d}",
                f"Marenvale Experience Centre {name}",
                brand.home_country,
                "experience_centre",
            )
            for i, name in enumerate(("Lakeside", "Hillcrest"))
        ]
        clubs: list[Club] = []
    else:
        countries = COUNTRIES
        count = max(min_dealers, min(max_dealers, people // max(per_dealer, 1)))
        dealers = _dealers(brand, countries, count, rng)
        clubs = _clubs(dealers, round(len(dealers) * clubs_per_dealer), as_of, rng)
    start = as_of - dt.timedelta(days=365 * history_years)
    events = _events(
        brand,
        dealers,
        clubs,
        max(6, people * events_per_1000 // 1000),
        start,
        as_of,
        rng,
    )
    return World(
        brand=brand,
        as_of=as_of,
        dealers=dealers,
        clubs=clubs,
        events=events,
        countries=countries,
    )


def _dealers(
    brand: Brand, countries: tuple[Country, ...], count: int, rng: random.Random
) -> list[Dealer]:
    # Every country gets at least one dealer; the rest follow market weight.
    total = sum(c.weight for c in countries)
    per_country = {c.code: 1 for c in countries}
    for _ in range(max(0, count - len(countries))):
        pick = rng.random() * total
        for c in countries:
            pick -= c.weight
            if pick <= 0:
                per_country[c.code] += 1
                break
    dealers = []
    for c in countries:
        for i in range(per_country[c.code]):
            dealers.append(
                Dealer(
                    f"{c.code}-{i + 1:03d}",
                    f"{brand.short} {c.name} {i + 1:02d}",
                    c.code,
                    "dealer",
                )
            )
    return dealers


def _clubs(
    dealers: list[Dealer], count: int, as_of: dt.date, rng: random.Random
) -> list[Club]:
    hosts = rng.sample(dealers, min(len(dealers), max(1, round(count * 0.87))))
    clubs = []
    named = dict(NAMED_CLUBS)
    for i in range(count):
        dealer = hosts[i % len(hosts)] if i < len(hosts) else rng.choice(hosts)
        name = (
            named.pop(dealer.country, None)
            or f"VOC {dealer.name.split(' ', 1)[1]} {i + 1}"
        )
        founded = as_of - dt.timedelta(days=rng.randint(365, 365 * 15))
        clubs.append(
            Club(f"VOC-{i + 1:04d}", name, dealer.code, dealer.country, founded)
        )
    return clubs


def _events(
    brand: Brand,
    dealers: list[Dealer],
    clubs: list[Club],
    count: int,
    start: dt.date,
    end: dt.date,
    rng: random.Random,
) -> list[Event]:
    events = []
    span = (end - start).days
    for year in range(start.year, end.year + 1):
        if brand.key == "moto":  # one world festival a year, organised by the brand
            day = dt.date(year, 7, 10)
            if start <= day <= end:
                events.append(
                    Event(
                        f"EV-{year}-WF",
                        "world_festival",
                        f"Velatra World Festival {year}",
                        day,
                        "IT",
                        5000,
                        "brand",
                        None,
                        None,
                    )
                )
    kinds = [k for k in brand.event_types if k[0] != "world_festival"]
    for i in range(count):
        kind, label, capacity = rng.choice(kinds)
        day = start + dt.timedelta(days=rng.randrange(span))
        if kind == "club_rally" and clubs:
            club = rng.choice(clubs)
            events.append(
                Event(
                    f"EV-{i + 1:06d}",
                    kind,
                    f"{club.name} rally {day.year}",
                    day,
                    club.country,
                    capacity,
                    "club",
                    club.dealer,
                    club.code,
                )
            )
            continue
        dealer = rng.choice(dealers)
        organiser = (
            "dealer"
            if kind in {"riding_academy", "acquisition_event", "experience_drive"}
            else "brand"
        )
        events.append(
            Event(
                f"EV-{i + 1:06d}",
                kind,
                f"{label} {dealer.name} {day:%b %Y}",
                day,
                dealer.country,
                capacity,
                organiser,
                dealer.code,
                None,
            )
        )
    events.sort(key=lambda e: (e.start, e.id))
    return events
