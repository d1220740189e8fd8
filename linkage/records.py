"""Source records in the canonical row shape, read with validation and quarantine.

Every input line ends up either as a ``SourceRecord`` or as a ``Quarantined`` entry with a
reason; an unusable part of a good record (a bad VIN) is quarantined on its own while the
record itself loads. Nothing is dropped silently: ``len(records) + whole-record quarantines``
equals the number of input lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linkage.normalise.emails import normalise_email
from linkage.normalise.names import name_key
from linkage.normalise.phones import normalise_phone
from linkage.normalise.vins import normalise_vin

DEMO_DIR = Path(__file__).with_name("fixtures") / "demo"


@dataclass(frozen=True)
class VehicleClaim:
    """A record's statement that its person holds a vehicle."""

    vin: str
    model: str | None
    certification: str | None
    since: str | None


@dataclass(frozen=True)
class ClubClaim:
    club: str
    member_no: str | None
    since: str | None
    status: str | None


@dataclass(frozen=True)
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
    vehicles: tuple[VehicleClaim, ...] = ()
    clubs: tuple[ClubClaim, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)


@dataclass(frozen=True)
class Quarantined:
    """An input (whole line, or one field of it) that was not loaded, and why."""

    location: str
    reason: str
    value: str


@dataclass
class ReadResult:
    records: list[SourceRecord] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    lines: int = 0


def read_records(path: Path) -> ReadResult:
    """Read a JSON Lines file of canonical records; bad lines are quarantined, not raised."""
    result = ReadResult()
    for lineno, line in _lines(path):
        result.lines += 1
        where = f"{path.name}:{lineno}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            result.quarantined.append(
                Quarantined(where, f"not JSON: {exc.msg}", line[:200])
            )
            continue
        if not isinstance(raw, dict):
            result.quarantined.append(
                Quarantined(where, "not a JSON object", line[:200])
            )
            continue
        record = parse_record(raw, where, result.quarantined)
        if record is not None:
            result.records.append(record)
    return result


def parse_record(
    raw: dict[str, Any], where: str, quarantine: list[Quarantined]
) -> SourceRecord | None:
    """One canonical record, or None after quarantining it with the reason."""
    source = _text(raw.get("source"))
    source_id = _text(raw.get("source_id"))
    if not source or not source_id:
        quarantine.append(
            Quarantined(where, "missing source or source_id", json.dumps(raw)[:200])
        )
        return None
    where = f"{where} ({source}/{source_id})"
    country = (_text(raw.get("country")) or "").upper() or None
    email, phone = _text(raw.get("email")), _text(raw.get("phone"))
    email_key, phone_key = normalise_email(email), normalise_phone(phone, country)
    if email and not email_key:
        quarantine.append(Quarantined(f"{where} email", "not an email address", email))
    if phone and not phone_key:
        quarantine.append(
            Quarantined(f"{where} phone", "not a valid phone number", phone)
        )
    first, last = _text(raw.get("first_name")), _text(raw.get("last_name"))
    if not (name_key(first) or name_key(last) or email_key or phone_key):
        quarantine.append(
            Quarantined(
                where,
                "no name, email or phone to identify a person",
                json.dumps(raw)[:200],
            )
        )
        return None
    return SourceRecord(
        source=source,
        source_id=source_id,
        updated_at=_text(raw.get("updated_at")),
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        country=country,
        preferred_dealer=_text(raw.get("preferred_dealer")),
        email_key=email_key,
        phone_key=phone_key,
        vehicles=tuple(_vehicles(raw.get("vehicles"), where, quarantine)),
        clubs=tuple(_clubs(raw.get("clubs"), where, quarantine)),
    )


def _vehicles(
    items: Any, where: str, quarantine: list[Quarantined]
) -> Iterator[VehicleClaim]:
    for item in items or ():
        vin = normalise_vin(_text(item.get("vin")) if isinstance(item, dict) else None)
        if vin is None:
            quarantine.append(
                Quarantined(f"{where} vehicle", "invalid VIN (ISO 3779)", str(item))
            )
            continue
        yield VehicleClaim(
            vin=vin,
            model=_text(item.get("model")),
            certification=_text(item.get("certification")),
            since=_text(item.get("since")),
        )


def _clubs(
    items: Any, where: str, quarantine: list[Quarantined]
) -> Iterator[ClubClaim]:
    for item in items or ():
        club = _text(item.get("club")) if isinstance(item, dict) else None
        if not club:
            quarantine.append(
                Quarantined(
                    f"{where} club", "club membership without club code", str(item)
                )
            )
            continue
        yield ClubClaim(
            club=club,
            member_no=_text(item.get("member_no")),
            since=_text(item.get("since")),
            status=_text(item.get("status")),
        )


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                yield lineno, line


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
