"""People and their lives: the ground truth that the source extracts are rendered from.

Each person is simulated from their own seeded ``random.Random``, in index order, so output is
byte-identical per seed. The only state kept across people is bounded: reservoirs of earlier
owners (for referrals) and of earlier names (for homonyms), and event seat counts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from linkage.generate.config import GeneratorConfig
from linkage.generate.locales import (
    COUNTRY_BY_CODE,
    Country,
    Name,
    fake_mobile,
    names_for,
    pick_country,
)
from linkage.generate.noise import email_for
from linkage.generate.rng import Rng
from linkage.generate.world import Dealer, Event, ModelLine, World

RESERVOIR = 20_000
OwnerRow = tuple[
    dt.date, str, str, str, int
]  # first own delivery, id, name, email, chain depth
STREET_WORDS = {
    "IT": "Via",
    "DE": "Straße",
    "AT": "Gasse",
    "CH": "Weg",
    "FR": "Rue",
    "BE": "Rue",
    "ES": "Calle",
    "PT": "Rua",
    "NL": "Straat",
    "PL": "ul.",
    "SE": "gatan",
    "NO": "veien",
    "DK": "vej",
}


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    city: str


@dataclass
class Ownership:
    vin: str
    model: ModelLine
    dealer: str | None
    start: dt.date
    end: dt.date | None  # the true end; sources may not know it
    acquired_as: str  # new | used
    certification: str  # auto | certified | declared | pending | none
    resold_revealed: bool = (
        False  # the new owner certified, so the brand knows it ended
    )


class Touch(NamedTuple):
    """One dated thing that happened to a person, with the source system that recorded it.

    A named tuple rather than a frozen dataclass: ~7 per person, built three times faster.
    """

    at: dt.datetime
    stage: str
    kind: str
    dealer: str | None = None
    vin: str | None = None
    event: str | None = None
    detail: str | None = None


@dataclass
class Person:
    idx: int
    id: str
    household_id: str
    country: Country
    gender: str
    given: Name
    family: Name
    family_base: Name  # the unmarked form, which a partner of the other gender shares
    birth: dt.date
    email: str
    email2: str
    phone: str
    landline: str | None
    address: Address
    new_address: Address | None
    first_contact: dt.date
    dealer: Dealer
    touches: list[Touch] = field(default_factory=list)
    ownerships: list[Ownership] = field(default_factory=list)
    quotations: list[tuple[dt.date, str, str, str | None]] = field(
        default_factory=list
    )  # date, model, status, reason
    orders: list[tuple[dt.date, dt.date | None, Ownership]] = field(
        default_factory=list
    )
    clubs: list[tuple[str, str, dt.date, str, str]] = field(
        default_factory=list
    )  # club, member no, since, status, role
    tickets: list[tuple[Event, dt.datetime, str | None, bool]] = field(
        default_factory=list
    )  # event, bought, guest name, checked in
    surveys: list[tuple[dt.date, str, str, str, int]] = field(
        default_factory=list
    )  # date, checkpoint, subject type, subject id, score
    services: list[tuple[dt.date, Ownership, str, int]] = field(
        default_factory=list
    )  # date, vehicle, type, km
    comms: list[tuple[dt.datetime, str, str, bool]] = field(
        default_factory=list
    )  # sent, campaign, channel, engaged
    app_installed: dt.date | None = None
    web_forms: list[tuple[dt.datetime, str, str | None]] = field(
        default_factory=list
    )  # at, form, model of interest
    referred_by: Referral | None = None

    @property
    def stage(self) -> str:
        """Lifecycle stage at the world's as-of date (domain brief §3.3)."""
        bought = len(self.ownerships)
        open_ = [o for o in self.ownerships if o.end is None]
        if open_:
            return "repeat_owner" if bought >= 2 else "owner"
        if bought:
            return "former_owner"
        if any(d is None for _, d, _ in self.orders):
            return "ordered"
        if any(status == "sleeper" for _, _, status, _ in self.quotations):
            return "sleeper_lead"
        if self.quotations or any(t.stage == "prospect" for t in self.touches):
            return "prospect"
        return "contact"


@dataclass(frozen=True)
class Referral:
    referrer_id: str
    referrer_name: str
    referrer_email: str
    mechanism: str
    at: dt.datetime
    depth: int


@dataclass
class Population:
    """Cross-person state, all of it bounded in size."""

    world: World
    config: GeneratorConfig
    seed: int
    owners: list[OwnerRow] = field(default_factory=list)
    referred_owners: list[OwnerRow] = field(default_factory=list)
    seen: int = 0
    seen_referred: int = 0
    names: list[tuple[str, Name, Name]] = field(default_factory=list)
    seats: dict[str, int] = field(default_factory=dict)
    # The membership numbers each club has handed out: a number names one member.
    member_numbers: dict[str, set[int]] = field(default_factory=dict)
    households: int = 0
    # Hashes of the mailboxes handed out: a mailbox belongs to one person (or one
    # household that shares it), so namesakes at the same provider get different ones.
    mailboxes: set[int] = field(default_factory=set)
    # The start dates of world.events (to bisect) and, per country, the positions of the
    # events its people can go to: built once, so a ticket reads only the events it may pick.
    attendable: dict[str, list[int]] = field(default_factory=dict, init=False)
    event_starts: list[dt.date] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.event_starts = [e.start for e in self.world.events]

    def iterate(self, count: int) -> Iterator[Person]:
        """Yield ``count`` people in order; household partners come right after each other."""
        idx = 0
        while idx < count:
            rng = Rng(f"{self.seed}:person:{idx}")
            person = self._person(idx, rng, None)
            yield person
            idx += 1
            if idx < count and rng.random() < self.config.households.rate / 2:
                partner = self._person(idx, Rng(f"{self.seed}:person:{idx}"), person)
                yield partner
                idx += 1

    # -- one person -----------------------------------------------------------------------
    def _person(
        self, idx: int, rng: random.Random, partner_of: Person | None
    ) -> Person:
        cfg, world = self.config, self.world
        as_of = world.as_of
        start = as_of - dt.timedelta(days=365 * cfg.world.history_years)
        if partner_of is not None:
            country = partner_of.country
        elif world.brand.home_country:
            country = COUNTRY_BY_CODE[world.brand.home_country]
        else:
            country = pick_country(rng)
        gender = (
            "f" if rng.random() < 0.12 else "m"
        )  # buyers are ~89% men (domain brief §10)
        table = names_for(country.code)
        given = rng.choice(table.given_female if gender == "f" else table.given_male)
        family = rng.choice(table.family)
        if partner_of is not None:
            gender = "f" if partner_of.gender == "m" else "m"
            given = rng.choice(
                table.given_female if gender == "f" else table.given_male
            )
            if rng.random() < cfg.households.same_surname:
                family = partner_of.family_base
        elif self.names and rng.random() < cfg.identity.homonym:
            same = [n for n in self.names[-200:] if n[0] == country.code]
            if same:
                _, given, family = rng.choice(same)
        family_base = family
        if gender == "f":
            family = table.feminine(family)  # Sokolova, Nowakowska, Papadopoulou
        self._remember_name(country.code, given, family, rng)
        pid = f"P{idx + 1:08d}"
        household = partner_of.household_id if partner_of else f"H{idx + 1:08d}"
        domain = rng.choice(country.email_domains)
        email = email_for(given.latin, family.latin, domain, rng)
        email2 = email_for(
            given.latin,
            family.latin,
            rng.choice(("inbox.example", "mail.example.com", "post.example.net")),
            rng,
        )
        if email2 == email:
            email2 = email.replace("@", f"{rng.randint(1, 99)}@")
        email, email2 = self._own_mailbox(email, rng), self._own_mailbox(email2, rng)
        if partner_of is not None and rng.random() < cfg.households.shared_email / max(
            cfg.households.rate, 1e-9
        ):
            email = partner_of.email  # a family address, used by both
        address = partner_of.address if partner_of else _address(country, family, rng)
        landline = None
        if partner_of is not None and partner_of.landline:
            landline = partner_of.landline
        elif rng.random() < cfg.households.shared_landline * 2:
            landline = fake_mobile(rng, country.code)
        dealers = world.dealers_by_country.get(country.code) or world.dealers
        first = start + dt.timedelta(
            days=rng.randrange(max(1, (as_of - start).days - 30))
        )
        person = Person(
            idx=idx,
            id=pid,
            household_id=household,
            country=country,
            gender=gender,
            given=given,
            family=family,
            family_base=family_base,
            birth=dt.date(
                as_of.year - rng.randint(19, 75), rng.randint(1, 12), rng.randint(1, 28)
            ),
            email=email,
            email2=email2,
            phone=fake_mobile(rng, country.code),
            landline=landline,
            address=address,
            new_address=_address(country, family, rng)
            if rng.random() < cfg.noise.moved_address
            else None,
            first_contact=first,
            dealer=partner_of.dealer if partner_of else rng.choice(dealers),
        )
        if partner_of is not None:
            self.households += 1
        self._referral(person, rng)
        self._live(person, rng, partner_of)
        person.touches.sort(key=lambda t: (t.at, t.kind))
        return person

    def _own_mailbox(self, email: str, rng: random.Random) -> str:
        """``email``, or a numbered variant if another person already has that mailbox."""
        candidate, key = email, _mailbox_hash(email)
        while key in self.mailboxes:
            candidate = email.replace("@", f"{rng.randint(1, 9999)}@")
            key = _mailbox_hash(candidate)
        self.mailboxes.add(key)
        return candidate

    def _remember_name(
        self, country: str, given: Name, family: Name, rng: random.Random
    ) -> None:
        self.names.append((country, given, family))
        if len(self.names) > 2 * RESERVOIR:
            del self.names[:RESERVOIR]

    def _referral(self, person: Person, rng: random.Random) -> None:
        """Some people arrive through someone who already owns a vehicle (domain brief §5)."""
        ident = self.config.identity
        if not self.owners or rng.random() >= ident.referred:
            return
        chained = self.referred_owners
        pool = (
            chained
            if chained and rng.random() < ident.referrer_already_referred
            else self.owners
        )
        for _ in range(20):
            since, rid, rname, remail, depth = rng.choice(pool)
            if (
                since < person.first_contact - dt.timedelta(days=10)
                and rid != person.id
            ):
                break
        else:
            return
        mechanism = rng.choice(self.world.brand.referral_mechanisms)
        at = _at(person.first_contact - dt.timedelta(days=rng.randint(1, 10)), rng)
        person.referred_by = Referral(rid, rname, remail, mechanism, at, depth + 1)

    # -- the lifecycle ----------------------------------------------------------------------
    def _live(self, p: Person, rng: random.Random, partner_of: Person | None) -> None:
        cfg, world = self.config.population, self.world
        as_of = world.as_of
        t0 = p.first_contact
        entry = rng.choices(
            ("web_form", "dealer_visit", "event"), weights=(0.55, 0.3, 0.15)
        )[0]
        if p.referred_by and p.referred_by.mechanism == "event_guest":
            entry = "guest"
        if entry == "web_form" or (
            p.referred_by and p.referred_by.mechanism == "declared"
        ):
            form = rng.choice(("newsletter", "brochure", "newsletter"))
            p.web_forms.append((_at(t0, rng), form, None))
            p.touches.append(
                Touch(_at(t0, rng), "contact", "web_registration", p.dealer.code)
            )
        elif entry == "dealer_visit":
            p.touches.append(
                Touch(_at(t0, rng), "contact", "dealer_visit", p.dealer.code)
            )
        elif entry in {"event", "guest"}:
            self._ticket(p, rng, t0, as_guest=entry == "guest")
        if p.referred_by and p.referred_by.mechanism == "voucher":
            p.touches.append(
                Touch(
                    _at(t0, rng),
                    "contact",
                    "voucher_redeemed",
                    p.dealer.code,
                    detail=p.referred_by.referrer_id,
                )
            )
        if rng.random() < cfg.newsletter:
            self._comms(p, rng, t0)
        if rng.random() < cfg.event_attendance:
            for _ in range(rng.randint(1, 3)):
                self._ticket(
                    p, rng, t0 + dt.timedelta(days=rng.randint(5, 900)), as_guest=False
                )
        t = t0 + dt.timedelta(days=int(rng.expovariate(1 / 30)) + 1)
        purchases = 0
        if rng.random() < cfg.prospect and t < as_of:
            while t < as_of and purchases < 4:
                t = self._buying_cycle(p, rng, t, purchases)
                purchases = len(p.ownerships)
                if not purchases or rng.random() >= cfg.repeat_purchase:
                    break
                t += dt.timedelta(days=rng.randint(365, 4 * 365))
        if (
            partner_of is not None
            and partner_of.ownerships
            and rng.random()
            < self.config.households.shared_vehicle
            / max(self.config.households.rate, 1e-9)
        ):
            shared = partner_of.ownerships[0]  # co-owner of the partner's first vehicle
            p.ownerships.append(
                Ownership(
                    shared.vin,
                    shared.model,
                    shared.dealer,
                    shared.start,
                    shared.end,
                    "co_owner",
                    shared.certification,
                )
            )
        self._after_sales(p, rng)
        bought = [o.start for o in p.ownerships if o.acquired_as != "co_owner"]
        if bought:  # a co-owner never took a delivery: not a customer who refers
            since = min(bought)
            depth = p.referred_by.depth if p.referred_by else 0
            self._remember_owner(
                (since, p.id, f"{p.given.latin} {p.family.latin}", p.email, depth), rng
            )

    def _buying_cycle(
        self, p: Person, rng: random.Random, t: dt.date, purchases: int
    ) -> dt.date:
        cfg, world = self.config.population, self.world
        as_of = world.as_of
        models = [
            m for m in world.brand.models if m.first_year <= t.year <= m.last_year
        ]
        # Limited editions sell out: once all units are taken, buyers pick another model.
        models = [m for m in models if not world.sold_out(m)]
        model = rng.choice(
            models or [m for m in world.brand.models if not m.limited_units]
        )
        will_order = rng.random() < cfg.order_after_quotation
        if rng.random() < 0.4:
            p.web_forms.append((_at(t, rng), "test_ride", model.code))
            p.touches.append(
                Touch(
                    _at(t, rng),
                    "prospect",
                    "test_ride",
                    p.dealer.code,
                    detail=model.code,
                )
            )
            t += dt.timedelta(days=rng.randint(2, 20))
        elif rng.random() < 0.35:  # a configurator quotation request from the website
            p.web_forms.append((_at(t, rng), "quotation_request", model.code))
        quoted = _at(t, rng)
        p.touches.append(
            Touch(quoted, "prospect", "quotation", p.dealer.code, detail=model.code)
        )
        # A quotation that goes nowhere was often a poor experience (domain brief §4.3, J2).
        self._survey(
            p,
            rng,
            t,
            "post_quotation",
            "dealer",
            p.dealer.code,
            0.6 if will_order else 2.0,
        )
        if will_order:
            ordered = t + dt.timedelta(days=rng.randint(3, 50))
            status = "won"
        else:
            if t + dt.timedelta(days=60) >= as_of:
                p.quotations.append((t, model.code, "open", None))
                return as_of
            p.touches.append(
                Touch(
                    _at(t + dt.timedelta(days=60), rng),
                    "sleeper_lead",
                    "sleeper_rule",
                    p.dealer.code,
                )
            )
            if rng.random() > 0.2:  # most sleepers never come back
                p.quotations.append(
                    (
                        t,
                        model.code,
                        "sleeper",
                        rng.choice(
                            (
                                "price",
                                "trade-in offer",
                                "timing",
                                "competitor",
                                "financing",
                            )
                        ),
                    )
                )
                return as_of
            ordered = t + dt.timedelta(days=rng.randint(75, 300))
            status = "sleeper"
        p.quotations.append((t, model.code, status, None))
        if ordered >= as_of:
            return as_of
        year = ordered.year
        vin = world.new_vin(model, year)
        delivered: dt.date | None = ordered + dt.timedelta(days=rng.randint(30, 150))
        auto = delivered is not None and delivered.year >= 2022
        own = Ownership(
            vin,
            model,
            p.dealer.code,
            delivered or ordered,
            None,
            "new",
            "auto" if auto else "none",
        )
        p.touches.append(
            Touch(
                _at(ordered, rng),
                "ordered",
                "order",
                p.dealer.code,
                vin=vin,
                detail=model.code,
            )
        )
        if delivered is None or delivered >= as_of:
            p.orders.append((ordered, None, own))
            return as_of
        p.orders.append((ordered, delivered, own))
        p.ownerships.append(own)
        p.touches.append(
            Touch(
                _at(delivered, rng),
                "owner",
                "delivery",
                p.dealer.code,
                vin=vin,
                detail=model.code,
            )
        )
        self._survey(p, rng, delivered, "purchase", "dealer", p.dealer.code)
        self._survey(
            p, rng, delivered + dt.timedelta(days=90), "product", "model", model.code
        )
        # Resale: the new owner certifies only half of the time, so the brand often never knows.
        years = (as_of - delivered).days / 365
        if rng.random() < 1 - (1 - cfg.resale_per_year) ** years:
            own.end = delivered + dt.timedelta(
                days=rng.randint(200, max(201, (as_of - delivered).days))
            )
            own.resold_revealed = rng.random() < cfg.recertified_within_12m
        return delivered

    def _after_sales(self, p: Person, rng: random.Random) -> None:
        cfg, as_of = self.config.population, self.world.as_of
        for own in p.ownerships:
            if own.acquired_as == "co_owner":
                continue
            day, km = own.start + dt.timedelta(days=rng.randint(300, 420)), 0
            last = own.end or as_of
            while day < last:
                km += rng.randint(2000, 9000)
                kind = rng.choices(
                    ("scheduled", "repair", "warranty", "recall"),
                    weights=(0.75, 0.15, 0.07, 0.03),
                )[0]
                p.services.append((day, own, kind, km))
                p.touches.append(
                    Touch(
                        _at(day, rng),
                        "owner",
                        "service_visit",
                        own.dealer,
                        vin=own.vin,
                        detail=kind,
                    )
                )
                mood = {"repair": 2.0, "recall": 3.0, "warranty": 1.5}.get(kind, 0.8)
                self._survey(
                    p, rng, day, "service", "dealer", own.dealer or p.dealer.code, mood
                )
                day += dt.timedelta(days=rng.randint(330, 420))
        if p.ownerships and rng.random() < cfg.app_owner:
            first = min(o.start for o in p.ownerships)
            p.app_installed = first + dt.timedelta(days=rng.randint(0, 200))
            if p.app_installed >= as_of:
                p.app_installed = None
            for own in p.ownerships:
                if (
                    own.certification == "none"
                    and rng.random() < cfg.app_pre2022_declared
                ):
                    own.certification = rng.choice(
                        ("certified", "certified", "declared", "pending")
                    )
            if p.app_installed:
                p.touches.append(
                    Touch(_at(p.app_installed, rng), "owner", "app_install")
                )
        clubs = self.world.clubs_by_dealer.get(p.dealer.code)
        if clubs and p.ownerships and rng.random() < cfg.club_member_of_owners:
            club = rng.choice(clubs)
            since = min(o.start for o in p.ownerships) + dt.timedelta(
                days=rng.randint(30, 700)
            )
            if since < as_of:
                status = "active" if rng.random() < 0.85 else "lapsed"
                role = (
                    "president"
                    if rng.random() < 0.01
                    else ("board" if rng.random() < 0.05 else "member")
                )
                taken = self.member_numbers.setdefault(club.code, set())
                number = free_member_number(taken, rng.randint(1, 9999))
                p.clubs.append((club.code, str(number), since, status, role))
                p.touches.append(
                    Touch(
                        _at(since, rng),
                        "owner",
                        "club_join",
                        club.dealer,
                        detail=club.code,
                    )
                )

    def _ticket(
        self, p: Person, rng: random.Random, after: dt.date, as_guest: bool
    ) -> None:
        # The person's own country's events and world festivals among the 40 from ``after`` on.
        events, mine = self.world.events, self._attendable(p.country.code)
        lo = bisect.bisect_left(self.event_starts, after)
        first, stop = bisect.bisect_left(mine, lo), bisect.bisect_left(mine, lo + 40)
        candidates = [events[i] for i in mine[first:stop]]
        if not candidates:
            return
        event = rng.choice(candidates)
        if self.seats.get(event.id, 0) >= event.capacity:
            return
        self.seats[event.id] = self.seats.get(event.id, 0) + 1
        bought = _at(event.start - dt.timedelta(days=rng.randint(1, 40)), rng)
        checked_in = rng.random() < 0.85
        guest = None
        if not as_guest and rng.random() < self.config.population.guest_on_ticket:
            guest = f"{rng.choice(names_for(p.country.code).given_female).latin} {p.family.latin}"
        p.tickets.append((event, bought, guest, checked_in))
        stage = (
            "contact"
            if not p.touches
            else "prospect"
            if event.kind in {"riding_academy", "track_tasting", "roadshow"}
            else "event"
        )
        if checked_in:
            p.touches.append(
                Touch(
                    dt.datetime.combine(event.start, dt.time(10)),
                    stage,
                    "event_attendance",
                    event.dealer,
                    event=event.id,
                )
            )
            self._survey(p, rng, event.start, "event", "event", event.id)

    def _attendable(self, country: str) -> list[int]:
        """Positions of the events people of ``country`` can go to, found once per country.

        A ticket bisects this short list instead of reading 40 events of a large world (25,000
        at 1M people) each time.
        """
        found = self.attendable.get(country)
        if found is None:
            found = self.attendable[country] = [
                i
                for i, e in enumerate(self.world.events)
                if e.country == country or e.kind == "world_festival"
            ]
        return found

    def _survey(
        self,
        p: Person,
        rng: random.Random,
        day: dt.date,
        checkpoint: str,
        subject: str,
        subject_id: str,
        mood: float = 1.0,
    ) -> None:
        """An NPS answer, if the person responds; ``mood`` > 1 makes a detractor likelier."""
        cfg = self.config.population
        if day >= self.world.as_of or rng.random() >= cfg.survey_response:
            return
        promoters, passives, detractors = cfg.nps_mix
        bucket = rng.choices(
            (0, 1, 2), weights=(promoters, passives, detractors * mood)
        )[0]
        score = rng.choice(((9, 10), (7, 8), (0, 1, 2, 3, 4, 5, 6))[bucket])
        p.surveys.append(
            (day + dt.timedelta(days=1), checkpoint, subject, subject_id, score)
        )

    def _comms(self, p: Person, rng: random.Random, after: dt.date) -> None:
        cfg = self.config.population
        for n in range(rng.randint(1, 4)):
            sent = _at(after + dt.timedelta(days=14 + 60 * n + rng.randint(0, 20)), rng)
            if sent.date() >= self.world.as_of:
                break
            engaged = rng.random() < cfg.engaged_within_3d
            p.comms.append(
                (
                    sent,
                    f"newsletter-{sent:%Y-%m}",
                    rng.choice(("email", "push")),
                    engaged,
                )
            )
            if not engaged:
                later = rng.random() < cfg.engaged_after_sms
                p.comms.append(
                    (
                        sent + dt.timedelta(days=3),
                        f"newsletter-{sent:%Y-%m}",
                        "sms",
                        later,
                    )
                )

    def _remember_owner(self, row: OwnerRow, rng: random.Random) -> None:
        """Reservoir sampling: any earlier owner can refer, in bounded memory.

        Owners who were themselves referred (and whose chain may grow) get a reservoir of their
        own, so chains form without scanning all owners for every referral.
        """
        self.seen += 1
        _reservoir_add(self.owners, row, self.seen, rng)
        if 0 < row[4] < self.config.identity.max_chain:
            self.seen_referred += 1
            _reservoir_add(self.referred_owners, row, self.seen_referred, rng)


def free_member_number(taken: set[int], drawn: int) -> int:
    """The drawn membership number, or the next free one above it, now marked taken.

    Clubs print random-looking numbers, but two members never share one; a probe
    (rather than a redraw) keeps the random stream, so data without a clash is unchanged.
    """
    number = drawn
    while number in taken:
        number += 1
    taken.add(number)
    return number


def _reservoir_add(
    pool: list[OwnerRow], row: OwnerRow, seen: int, rng: random.Random
) -> None:
    if len(pool) < RESERVOIR:
        pool.append(row)
    else:
        j = rng.randrange(seen)
        if j < RESERVOIR:
            pool[j] = row


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in office hours of ``day`` (hour, minute, second drawn in that order)."""
    return dt.datetime(
        day.year,
        day.month,
        day.day,
        rng.randint(8, 20),
        rng.randint(0, 59),
        rng.randint(0, 59),
    )


def _address(country: Country, family: Name, rng: random.Random) -> Address:
    word = STREET_WORDS.get(country.code, "Street")
    street_name = rng.choice(names_for(country.code).family).latin
    street = (
        f"{word} {street_name} {rng.randint(1, 180)}"
        if word in {"Via", "Rue", "Calle", "Rua", "ul."}
        else f"{street_name}{word.lower() if word in {'gatan', 'veien', 'vej', 'Straße', 'Gasse', 'Weg', 'Straat'} else ' ' + word} {rng.randint(1, 180)}"
    )
    return Address(
        street,
        f"{rng.randint(10000, 99999)}",
        f"{country.name} {rng.randint(1, 60):02d}",
    )


def _mailbox_hash(email: str) -> int:
    """A stable 64-bit key (``hash()`` of a str changes between processes)."""
    return int.from_bytes(
        hashlib.blake2b(email.encode(), digest_size=8).digest(), "big"
    )
