"""Source records in the canonical row shape, read with validation and quarantine.

``linkage.sources`` turns each row of each source into the canonical dict that
``parse_record`` checks. Every row ends up either as a ``SourceRecord`` or as a
``Quarantined`` entry with a reason; an unusable part of a good record (a bad VIN) is
quarantined on its own while the record itself loads. Nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Any

from linkage.normalise.emails import normalise_email
from linkage.normalise.names import name_key
from linkage.normalise.phones import normalise_phone
from linkage.normalise.vins import normalise_vin


@dataclass(frozen=True, slots=True)
class VehicleClaim:
    """A record's statement that its person holds a vehicle."""

    vin: str
    model: str | None
    certification: str | None
    since: str | None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class ClubClaim:
    club: str
    member_no: str | None
    since: str | None
    status: str | None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentClaim:
    """A consent statement the record made: status for one channel and purpose, at a time.

    ``channel`` "any" is a statement whatever the channel (profiling, analytics).
    """

    channel: str
    purpose: str
    status: str  # granted | denied | withdrawn
    at: str  # ISO 8601 date-time
    wording: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record of one source system, raw values kept beside normalised keys."""

    source: str
    source_id: str
    updated_at: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    country: str | None
    preferred_dealer: str | None
    email_key: str | None
    phone_key: str | None
    app_account: str | None = (
        None  # a party identifier: the brand issues it to one person only
    )
    vehicles: tuple[VehicleClaim, ...] = ()
    clubs: tuple[ClubClaim, ...] = ()
    attributes: tuple[
        tuple[str, str], ...
    ] = ()  # other mapped properties, e.g. ("city", "Verona")
    # Events the record's own touchpoints place its person at (a ticket, a survey about
    # the event): match evidence, kept in the graph as touchpoints, not as properties.
    events: tuple[str, ...] = ()
    consents: tuple[ConsentClaim, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    def with_attributes(self, values: dict[str, str]) -> SourceRecord:
        return replace(self, attributes=tuple(sorted(values.items())))


# The record's text fields, in declaration order: the head of its plain form; the claims
# follow, one tuple each.
_CLAIMS = ("vehicles", "clubs", "attributes", "events", "consents")
_TEXTS = tuple(f.name for f in fields(SourceRecord) if f.name not in _CLAIMS)
_texts_of = attrgetter(*_TEXTS)


def to_plain(r: SourceRecord) -> tuple[Any, ...]:
    """Built-in types only, for ``marshal``: how a helper process hands records over."""
    return (
        _texts_of(r),
        tuple((v.vin, v.model, v.certification, v.since, v.until) for v in r.vehicles),
        tuple((c.club, c.member_no, c.since, c.status, c.role) for c in r.clubs),
        r.attributes,
        r.events,
        tuple((c.channel, c.purpose, c.status, c.at, c.wording) for c in r.consents),
    )


def from_plain(p: tuple[Any, ...]) -> SourceRecord:
    texts, vehicles, clubs, attributes, events, consents = p
    return SourceRecord(
        **dict(zip(_TEXTS, texts, strict=True)),
        vehicles=tuple(VehicleClaim(*v) for v in vehicles),
        clubs=tuple(ClubClaim(*c) for c in clubs),
        attributes=attributes,
        events=events,
        consents=tuple(ConsentClaim(*c) for c in consents),
    )


@dataclass(frozen=True)
class Quarantined:
    """An input that was not loaded, and why: a whole row (``field`` None) or one field of it."""

    location: str
    reason: str
    value: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.location} {self.field}" if self.field else self.location
        return f"{where}: {self.reason} [{self.value[:60]}]"


def parse_record(
    raw: dict[str, Any],
    where: str,
    quarantine: list[Quarantined],
    attributes: tuple[tuple[str, str], ...] = (),
    consents: tuple[ConsentClaim, ...] = (),
) -> SourceRecord | None:
    """One canonical record, or None after quarantining it with the reason.

    ``attributes`` (sorted pairs, as ``with_attributes`` makes them) go straight into the
    record: ingest would otherwise copy every record once more to add them.
    """
    source = text_or_none(raw.get("source"))
    source_id = text_or_none(raw.get("source_id"))
    if not source or not source_id:
        quarantine.append(
            Quarantined(where, "missing source or source_id", json.dumps(raw)[:200])
        )
        return None
    where = f"{where} ({source}/{source_id})"
    country = (text_or_none(raw.get("country")) or "").upper() or None
    email, phone = text_or_none(raw.get("email")), text_or_none(raw.get("phone"))
    email_key, phone_key = normalise_email(email), normalise_phone(phone, country)
    if email and not email_key:
        quarantine.append(Quarantined(where, "not an email address", email, "email"))
    if phone and not phone_key:
        quarantine.append(
            Quarantined(where, "not a valid phone number", phone, "phone")
        )
    first, last = (
        text_or_none(raw.get("first_name")),
        text_or_none(raw.get("last_name")),
    )
    app_account = text_or_none(raw.get("app_account"))
    vehicles, clubs = raw.get("vehicles"), raw.get("clubs")  # most records have none
    # Keys first: most records have one, and a name key costs a transliteration.
    if not (email_key or phone_key or app_account or name_key(first) or name_key(last)):
        quarantine.append(
            Quarantined(
                where,
                "no name, email, phone or account to identify a person",
                json.dumps(raw)[:200],
            )
        )
        return None
    return SourceRecord(
        source=source,
        source_id=source_id,
        updated_at=text_or_none(raw.get("updated_at")),
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        country=country,
        preferred_dealer=text_or_none(raw.get("preferred_dealer")),
        email_key=email_key,
        phone_key=phone_key,
        app_account=app_account,
        vehicles=tuple(_vehicles(vehicles, where, quarantine)) if vehicles else (),
        clubs=tuple(_clubs(clubs, where, quarantine)) if clubs else (),
        attributes=attributes,
        consents=consents,
    )


def _vehicles(
    items: Any, where: str, quarantine: list[Quarantined]
) -> Iterator[VehicleClaim]:
    for item in items or ():
        vin = normalise_vin(
            text_or_none(item.get("vin")) if isinstance(item, dict) else None
        )
        if vin is None:
            quarantine.append(
                Quarantined(where, "invalid VIN (ISO 3779)", str(item), "vehicle")
            )
            continue
        yield VehicleClaim(
            vin=vin,
            model=text_or_none(item.get("model")),
            certification=text_or_none(item.get("certification")),
            since=text_or_none(item.get("since")),
            until=text_or_none(item.get("until")),
        )


def _clubs(
    items: Any, where: str, quarantine: list[Quarantined]
) -> Iterator[ClubClaim]:
    for item in items or ():
        club = text_or_none(item.get("club")) if isinstance(item, dict) else None
        if not club:
            quarantine.append(
                Quarantined(
                    where, "club membership without club code", str(item), "club"
                )
            )
            continue
        yield ClubClaim(
            club=club,
            member_no=text_or_none(item.get("member_no")),
            since=text_or_none(item.get("since")),
            status=text_or_none(item.get("status")),
            role=text_or_none(item.get("role")),
        )


def text_or_none(value: Any) -> str | None:
    """A source value as trimmed text; None when it is missing or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
