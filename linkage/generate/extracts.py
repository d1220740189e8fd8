"""Render people into the extracts each source system exports, with identity noise.

Every system has its own habits, as in the domain brief §2: the dealer CRM is a semicolon
CSV with day-first dates and phones typed without a country code; the owner app is JSON Lines
with names in the person's own script and E.164 phones; ticketing shouts names in capitals.
Everything written is also recorded on the truth side (truth.csv, noise.csv).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from linkage.generate.config import Noise
from linkage.generate.locales import format_phone
from linkage.generate.noise import (
    email_variant,
    nickname,
    phone_variant,
    strip_diacritics,
    swap_names,
    typo,
    upper_case_name,
)
from linkage.generate.population import Person
from linkage.generate.world import World

CSV_FILES: dict[str, tuple[str, list[str]]] = {
    "dealer_crm": (
        ";",
        [
            "DEALER_CODE",
            "ACCOUNT_ID",
            "FIRST_NAME",
            "LAST_NAME",
            "EMAIL",
            "MOBILE",
            "STREET",
            "ZIP",
            "CITY",
            "COUNTRY",
            "PREFERRED_DEALER",
            "BIRTH_DATE",
            "CREATED",
            "LAST_MODIFIED",
        ],
    ),
    "dealer_crm_quotations": (
        ";",
        [
            "QUOTE_ID",
            "DEALER_CODE",
            "ACCOUNT_ID",
            "MODEL_CODE",
            "QUOTE_DATE",
            "STATUS",
            "REJECTION_REASON",
        ],
    ),
    "dealer_crm_orders": (
        ";",
        [
            "ORDER_ID",
            "DEALER_CODE",
            "ACCOUNT_ID",
            "VIN",
            "MODEL_CODE",
            "ORDER_DATE",
            "DELIVERY_DATE",
            "AMOUNT_EUR",
        ],
    ),
    "club_registration": (
        ",",
        [
            "club_code",
            "member_no",
            "name",
            "email",
            "phone",
            "country",
            "member_since",
            "renewal_due",
            "status",
            "role",
            "updated",
        ],
    ),
    "survey": (
        ",",
        [
            "response_id",
            "checkpoint",
            "subject_type",
            "subject_id",
            "score",
            "reason",
            "respondent_email",
            "respondent_account",
            "answered_at",
        ],
    ),
    "care_case": (
        ",",
        [
            "case_id",
            "dealer_code",
            "response_id",
            "case_type",
            "opened_at",
            "called_back_at",
            "closed_at",
            "outcome",
        ],
    ),
    "service_visit": (
        ",",
        [
            "work_order_id",
            "dealer_code",
            "vin",
            "visit_date",
            "type",
            "mileage_km",
            "dropped_off_by",
        ],
    ),
}
JSONL_FILES = ("owner_app", "ticketing", "web_form", "communication")
FILE_NAMES = {
    "dealer_crm": "dealer_crm_accounts.csv",
    "dealer_crm_quotations": "dealer_crm_quotations.csv",
    "dealer_crm_orders": "dealer_crm_orders.csv",
    "club_registration": "club_registrations.csv",
    "survey": "nps_responses.csv",
    "care_case": "care_cases.csv",
    "service_visit": "service_visits.csv",
    "owner_app": "owner_app_accounts.jsonl",
    "ticketing": "event_tickets.jsonl",
    "web_form": "web_forms.jsonl",
    "communication": "communications.jsonl",
}
IDENTITY_SOURCES = (
    "dealer_crm",
    "owner_app",
    "club_registration",
    "ticketing",
    "web_form",
)
# One encoder for every JSON Lines row: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
REASONS = (
    "price",
    "trade-in offer",
    "waiting time",
    "dealer follow-up was slow",
    "service cost",
    "delivery date moved",
    "the bike had a fault at pick-up",
)


@dataclass
class Writers:
    """Open files of one run; rows go straight to disk so memory stays flat."""

    folder: Path
    stack: ExitStack = field(default_factory=ExitStack)
    csv: dict[str, Any] = field(default_factory=dict)
    jsonl: dict[str, IO[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def open(self) -> Writers:
        for source, (delimiter, header) in CSV_FILES.items():
            fh = self.stack.enter_context(
                (self.folder / FILE_NAMES[source]).open(
                    "w", encoding="utf-8", newline=""
                )
            )
            self.csv[source] = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            self.csv[source].writerow(header)
        for source in JSONL_FILES:
            self.jsonl[source] = self.stack.enter_context(
                (self.folder / FILE_NAMES[source]).open("w", encoding="utf-8")
            )
        truth = self.folder / "truth"
        truth.mkdir()
        for name, header in (
            ("truth", ["source", "source_id", "person_id", "household_id"]),
            ("noise", ["source", "source_id", "kind"]),
            (
                "people",
                [
                    "person_id",
                    "household_id",
                    "country",
                    "given_name",
                    "family_name",
                    "birth_date",
                    "email",
                    "phone",
                    "stage",
                    "first_contact",
                ],
            ),
            ("referrals", ["referrer_id", "referee_id", "mechanism", "at", "depth"]),
            (
                "journeys",
                [
                    "person_id",
                    "seq",
                    "at",
                    "stage",
                    "kind",
                    "dealer",
                    "vin",
                    "event",
                    "detail",
                ],
            ),
        ):
            fh = self.stack.enter_context(
                (truth / f"{name}.csv").open("w", encoding="utf-8", newline="")
            )
            self.csv[f"truth:{name}"] = csv.writer(fh, lineterminator="\n")
            self.csv[f"truth:{name}"].writerow(header)
        return self

    def row(
        self,
        source: str,
        source_id: str,
        person: Person,
        values: list[Any] | dict[str, Any],
    ) -> None:
        if isinstance(values, dict):
            self.jsonl[source].write(_JSON.encode(values) + "\n")
        else:
            self.csv[source].writerow(values)
        self.csv["truth:truth"].writerow(
            [source, source_id, person.id, person.household_id]
        )
        self.counts[source] = self.counts.get(source, 0) + 1

    def noise(self, source: str, source_id: str, kinds: list[str]) -> None:
        for kind in kinds:
            self.csv["truth:noise"].writerow([source, source_id, kind])

    def close(self) -> None:
        self.stack.close()


@dataclass
class Identity:
    """How one record spells one person, and which noise made it so."""

    given: str
    family: str
    email: str
    phone: str
    kinds: list[str]


def identity(
    p: Person,
    source: str,
    rng: random.Random,
    noise: Noise,
    *,
    native: bool = False,
    phone_style: str = "national_spaced",
) -> Identity:
    kinds: list[str] = []
    given = p.given.native if native else p.given.latin
    family = p.family.native if native else p.family.latin
    if not native and rng.random() < noise.nickname:
        nick = nickname(given, rng)
        if nick:
            given = nick
            kinds.append("nickname")
    if rng.random() < noise.diacritics_stripped:
        plain_g, plain_f = strip_diacritics(given), strip_diacritics(family)
        if (plain_g, plain_f) != (given, family):
            given, family = plain_g, plain_f
            kinds.append("diacritics_stripped")
    if rng.random() < noise.typo and len(family) >= 2:
        family = typo(family, rng)
        kinds.append("typo")
    if rng.random() < noise.swapped_names:
        given, family = swap_names(given, family)
        kinds.append("swapped_names")
    email = p.email
    if rng.random() < (0.5 if source == "owner_app" else noise.second_email):
        email = p.email2
        kinds.append("second_email")
    if rng.random() < noise.email_variant:
        email, kind = email_variant(email, rng)
        kinds.append(f"email_{kind}")
    if rng.random() < noise.missing_email:
        email = ""
        kinds.append("missing_email")
    number = p.landline if p.landline and rng.random() < 0.5 else p.phone
    if rng.random() < noise.phone_format:
        phone, kind = phone_variant(number, p.country.code, rng)
        kinds.append(f"phone_{kind}")
    else:
        phone = format_phone(number, p.country.code, phone_style)
    if rng.random() < noise.missing_phone:
        phone = ""
        kinds.append("missing_phone")
    return Identity(given, family, email, phone, kinds)


def write_person(
    w: Writers, world: World, p: Person, noise: Noise, rng: random.Random
) -> None:
    """All records of one person, in every system that knows them."""
    as_of = world.as_of
    moved_after = p.first_contact + (as_of - p.first_contact) / 2
    dealer_touch = [
        t
        for t in p.touches
        if t.kind in {"dealer_visit", "quotation", "order", "test_ride"}
    ]
    if dealer_touch or p.quotations:
        account = f"A-{p.idx + 1:07d}"
        sid = f"{p.dealer.code}/{account}"
        ident = identity(p, "dealer_crm", rng, noise, phone_style="national_spaced")
        created = dealer_touch[0].at.date() if dealer_touch else p.first_contact
        modified = max([t.at.date() for t in dealer_touch] + [created])
        address = (
            p.new_address if p.new_address and modified > moved_after else p.address
        )
        if address is not p.address:
            ident.kinds.append("moved_address")
        w.row(
            "dealer_crm",
            sid,
            p,
            [
                p.dealer.code,
                account,
                ident.given,
                ident.family,
                ident.email,
                ident.phone,
                address.street,
                address.postcode,
                address.city,
                p.country.code,
                p.dealer.code,
                _dmy(p.birth) if rng.random() < 0.6 else "",
                _dmy(created),
                _dmy(modified),
            ],
        )
        w.noise("dealer_crm", sid, ident.kinds)
        for n, (day, model, status, reason) in enumerate(p.quotations):
            qid = f"Q-{p.idx + 1:07d}-{n + 1}"
            w.row(
                "dealer_crm_quotations",
                qid,
                p,
                [
                    qid,
                    p.dealer.code,
                    account,
                    model,
                    _dmy(day),
                    {"won": "won", "sleeper": "lost", "open": "open"}.get(
                        status, status
                    ),
                    reason or "",
                ],
            )
        for n, (ordered, delivered, own) in enumerate(p.orders):
            oid = f"O-{p.idx + 1:07d}-{n + 1}"
            w.row(
                "dealer_crm_orders",
                oid,
                p,
                [
                    oid,
                    p.dealer.code,
                    account,
                    own.vin,
                    own.model.code,
                    _dmy(ordered),
                    _dmy(delivered) if delivered else "",
                    own.model.price_eur,
                ],
            )
    if p.app_installed:
        uid = f"u-{p.idx + 1:07x}"
        native = p.country.script != "Latn"
        ident = identity(p, "owner_app", rng, noise, native=native, phone_style="e164")
        display = (
            f"{ident.family} {ident.given}"
            if p.country.family_name_first and native
            else f"{ident.given} {ident.family}"
        )
        garage = [
            {
                "vin": o.vin,
                "model": o.model.code,
                "declared_at": _iso(max(o.start, p.app_installed)),
                "status": o.certification if o.certification != "none" else "declared",
                **(
                    {"no_longer_owned_at": _iso(o.end)}
                    if o.end and o.resold_revealed
                    else {}
                ),
            }
            for o in p.ownerships
            if o.acquired_as != "co_owner"
        ]
        w.row(
            "owner_app",
            uid,
            p,
            {
                "user_id": uid,
                "login_email": ident.email,
                "display_name": display,
                "language": p.country.code.lower(),
                "country": p.country.code,
                "phone": ident.phone or None,
                "installed_at": _iso(p.app_installed),
                "updated_at": _iso(
                    max([p.app_installed] + [o.start for o in p.ownerships])
                ),
                "garage": garage,
            },
        )
        w.noise("owner_app", uid, ident.kinds)
    for club, member_no, since, status, role in p.clubs:
        sid = f"{club}/{member_no}"
        ident = identity(
            p, "club_registration", rng, noise, phone_style="international_spaced"
        )
        w.row(
            "club_registration",
            sid,
            p,
            [
                club,
                member_no,
                f"{ident.given} {ident.family}",
                ident.email,
                ident.phone,
                p.country.code,
                _iso(since),
                _iso(_one_year_after(since)),
                status,
                role,
                _iso(since),
            ],
        )
        w.noise("club_registration", sid, ident.kinds)
    for n, (event, bought, guest, checked_in) in enumerate(p.tickets):
        tid = f"T-{event.start.year}-{p.idx + 1:07d}{n}"
        ident = identity(p, "ticketing", rng, noise)
        buyer = (
            upper_case_name(f"{ident.family} {ident.given}")
            if rng.random() < 0.5
            else f"{ident.given} {ident.family}"
        )
        if buyer != f"{ident.given} {ident.family}":
            ident.kinds.append("upper_family_first")
        attendees = [
            {
                "name": f"{ident.given} {ident.family}",
                "role": "owner" if p.ownerships else "prospect",
            }
        ]
        if guest:
            attendees.append({"name": guest, "role": "guest"})
        w.row(
            "ticketing",
            tid,
            p,
            {
                "ticket_id": tid,
                "event_id": event.id,
                "buyer_name": buyer,
                "buyer_email": ident.email,
                "ticket_type": attendees[0]["role"],
                "attendees": attendees,
                "purchased_at": _iso(bought),
                "checked_in_at": _iso(dt.datetime.combine(event.start, dt.time(9, 30)))
                if checked_in
                else None,
            },
        )
        w.noise("ticketing", tid, ident.kinds)
    for n, (at, form, interest) in enumerate(p.web_forms):
        sid = f"WF-{p.idx + 1:07d}-{n + 1}"
        ident = identity(p, "web_form", rng, noise, phone_style="international_spaced")
        referred = (
            p.referred_by
            if (p.referred_by and p.referred_by.mechanism == "declared" and n == 0)
            else None
        )
        w.row(
            "web_form",
            sid,
            p,
            {
                "submission_id": sid,
                "form": form,
                "first_name": ident.given,
                "last_name": ident.family,
                "email": ident.email,
                "phone": ident.phone if rng.random() < 0.5 else None,
                "country": p.country.code,
                "preferred_dealer": p.dealer.code,
                "model_interest": interest,
                "consent": {
                    "email_marketing": rng.random() < 0.7,
                    "sms_marketing": rng.random() < 0.4,
                    "profiling": rng.random() < 0.5,
                },
                "referred_by": referred.referrer_email if referred else None,
                "utm_source": rng.choice(
                    ("newsletter", "social", "search", "press", None)
                ),
                "submitted_at": _iso(at),
            },
        )
        w.noise("web_form", sid, ident.kinds)
    for n, (day, checkpoint, subject, subject_id, score) in enumerate(p.surveys):
        rid = response_id(p, n)
        reason = rng.choice(REASONS) if score < 7 else ""
        account = (
            f"u-{p.idx + 1:07x}" if p.app_installed and p.app_installed <= day else ""
        )
        w.row(
            "survey",
            rid,
            p,
            [
                rid,
                checkpoint,
                subject,
                subject_id,
                score,
                reason,
                "" if account and rng.random() < 0.5 else p.email,
                account,
                _iso(day),
            ],
        )
    for n, (day, own, kind, km) in enumerate(p.services):
        wid = f"W-{p.idx + 1:07d}-{n + 1}"
        who = f"{p.given.latin} {p.family.latin}" if rng.random() < 0.7 else ""
        w.row(
            "service_visit",
            wid,
            p,
            [wid, own.dealer, own.vin, _dmy(day, "/"), kind, km, who],
        )
    for n, (sent, campaign, channel, engaged) in enumerate(p.comms):
        mid = f"M-{p.idx + 1:07d}-{n + 1}"
        app = p.app_installed and p.app_installed <= sent.date()
        if (
            channel == "push" and not app
        ):  # no app, no push: the plan falls back to email
            channel = "email"
        opened = (
            _iso(sent + dt.timedelta(hours=rng.randint(1, 60))) if engaged else None
        )
        w.row(
            "communication",
            mid,
            p,
            {
                "message_id": mid,
                "campaign": campaign,
                "channel": channel,
                "recipient": p.email
                if channel == "email"
                else (p.phone if channel == "sms" else f"push:u-{p.idx + 1:07x}"),
                "sent_at": _iso(sent),
                "delivered_at": _iso(sent + dt.timedelta(minutes=2)),
                "opened_at": opened,
                "clicked_at": opened if engaged and rng.random() < 0.3 else None,
                "reminder_of": f"M-{p.idx + 1:07d}-{n}" if channel == "sms" else None,
            },
        )
    _truth_side(w, p)


def _truth_side(w: Writers, p: Person) -> None:
    w.csv["truth:people"].writerow(
        [
            p.id,
            p.household_id,
            p.country.code,
            p.given.native,
            p.family.native,
            _iso(p.birth),
            p.email,
            p.phone,
            p.stage,
            _iso(p.first_contact),
        ]
    )
    if p.referred_by:
        r = p.referred_by
        w.csv["truth:referrals"].writerow(
            [r.referrer_id, p.id, r.mechanism, _iso(r.at), r.depth]
        )
    for seq, t in enumerate(p.touches, start=1):
        w.csv["truth:journeys"].writerow(
            [
                p.id,
                seq,
                _iso(t.at),
                t.stage,
                t.kind,
                t.dealer or "",
                t.vin or "",
                t.event or "",
                t.detail or "",
            ]
        )


def _one_year_after(day: dt.date) -> dt.date:
    """Same day next year; 29 February renews on 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def response_id(p: Person, n: int) -> str:
    """The survey platform's id of the person's ``n``-th answer."""
    return f"R-{p.idx + 1:07d}-{n + 1}"


def write_cases(w: Writers, world: World, p: Person, rng: random.Random) -> None:
    """Care cases of the person's detractor answers (0-6) about a dealer (domain brief J2).

    The dealer opens a case for most of them within hours of the answer; care calls back
    within 24 hours of the answer most of the time, later some of the time, or never; the
    case is closed recovered or not recovered, or is still open. Nothing after the export
    day is known. ``rng`` is this function's own (``{seed}:care:{person}``), so adding
    cases changed no other row of a generated set.
    """
    as_of = dt.datetime.combine(world.as_of, dt.time())
    for n, (day, _, subject, dealer, score) in enumerate(p.surveys):
        if subject != "dealer" or score > 6 or rng.random() >= 0.9:
            continue
        answered = dt.datetime.combine(day, dt.time())
        opened = answered + dt.timedelta(minutes=rng.randint(60, 600))
        if opened >= as_of:
            continue
        draw = rng.random()
        called: dt.datetime | None = None
        if draw < 0.8:
            called = answered + dt.timedelta(minutes=rng.randint(120, 1439))
        elif draw < 0.95:
            called = answered + dt.timedelta(minutes=rng.randint(1441, 5760))
        if called is not None and called <= opened:
            called = opened + dt.timedelta(minutes=rng.randint(10, 90))
        draw = rng.random()
        if called is not None:
            outcome = (
                "recovered" if draw < 0.65 else "not_recovered" if draw < 0.9 else None
            )
            closed = called + dt.timedelta(days=rng.randint(1, 20))
        else:
            outcome = "not_recovered" if draw < 0.5 else None
            closed = opened + dt.timedelta(days=rng.randint(14, 30))
        if called is not None and called >= as_of:
            called, outcome = None, None
        if outcome is None or closed >= as_of:
            closed_text, outcome = "", None
        else:
            closed_text = _iso(closed)
        cid = f"K-{p.idx + 1:07d}-{n + 1}"
        w.row(
            "care_case",
            cid,
            p,
            [
                cid,
                dealer,
                response_id(p, n),
                "detractor_recovery",
                _iso(opened),
                _iso(called) if called else "",
                closed_text,
                outcome or "",
            ],
        )


def _dmy(day: dt.date, sep: str = ".") -> str:
    """Day-first, as ``strftime("%d.%m.%Y")`` writes it, at a third of the cost."""
    return f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"


def _iso(value: dt.date | dt.datetime) -> str:
    return value.isoformat()
