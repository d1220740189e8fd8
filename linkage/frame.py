"""Source records as one table of normalised columns: what rules and Splink compare.

Raw values stay on the ``SourceRecord`` (and in the graph); this table holds only the
comparison keys, one row per record, with an integer ``unique_id`` that is the record's
position in the sorted input, so the same input always gives the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from linkage.normalise.addresses import address_key, normalise_postcode
from linkage.normalise.dates import parse_date
from linkage.normalise.emails import email_spelling
from linkage.normalise.names import given_name_canonical, given_name_formals, name_key
from linkage.normalise.phones import phone_kind
from linkage.records import SourceRecord

# Column -> kind ("text" or "list"). Rules and comparisons may name only these.
COLUMNS: dict[str, str] = {
    "source": "text",
    "given": "text",
    "given_canon": "text",
    "given_formals": "list",
    "family": "text",
    "given_skeleton": "text",
    "family_skeleton": "text",
    "email": "text",
    "email_local": "text",
    "email_domain": "text",
    "email_spelling": "text",
    "phone": "text",
    "phone_tail": "text",
    "mobile": "text",
    "landline": "text",
    "birth_date": "text",
    "postcode": "text",
    "address": "text",
    "country": "text",
    "dealer": "text",
    "app_account": "text",
    "vins": "list",
    "club_members": "list",
    "events": "list",
}

_name_key = lru_cache(maxsize=200_000)(name_key)
_given_canon = lru_cache(maxsize=200_000)(given_name_canonical)
_given_formals = lru_cache(maxsize=200_000)(given_name_formals)
_phone_kind = lru_cache(maxsize=200_000)(phone_kind)
_VOWELS = str.maketrans("", "", "aeiouy ")


def skeleton(key: str | None) -> str | None:
    """Consonants only: 'ibrahim' and 'brhym' (Arabic script, transliterated) both give 'brhm'.

    Abjads (Arabic, Hebrew) write few vowels, so their transliteration drops them; the
    skeleton lets such a name meet its Latin spelling.
    """
    if not key:
        return None
    return key.translate(_VOWELS) or None


def row(record: SourceRecord) -> dict[str, Any]:
    """The comparison keys of one record (None where the record says nothing)."""
    attrs = dict(record.attributes)
    country = record.country
    phone = record.phone_key
    kind = _phone_kind(phone) if phone else None
    given = _name_key(record.first_name) if record.first_name else None
    family = _name_key(record.last_name) if record.last_name else None
    return {
        "source": record.source,
        "given": given,
        "given_canon": _given_canon(record.first_name) if record.first_name else None,
        # Every formal name an ambiguous nickname may stand for (Max: Massimo, Maximilian).
        "given_formals": list(_given_formals(record.first_name)) or None,
        "family": family,
        "given_skeleton": skeleton(given),
        "family_skeleton": skeleton(family),
        "email": record.email_key,
        # email_key is already normalised: split it instead of normalising twice more.
        "email_local": record.email_key.rpartition("@")[0]
        if record.email_key
        else None,
        "email_domain": record.email_key.rpartition("@")[2]
        if record.email_key
        else None,
        "email_spelling": email_spelling(record.email_key),
        "phone": phone,
        "phone_tail": phone[-8:] if phone else None,
        "mobile": phone if kind in {"mobile", "fixed_line_or_mobile"} else None,
        "landline": phone if kind == "fixed_line" else None,
        "birth_date": parse_date(attrs.get("birthDate")),
        "postcode": normalise_postcode(attrs.get("postcode"), country),
        "address": address_key(attrs.get("street"), attrs.get("postcode"), country),
        "country": country,
        "dealer": record.preferred_dealer,
        "app_account": record.app_account,
        "vins": sorted({v.vin for v in record.vehicles}) or None,
        "club_members": sorted(
            {f"{c.club}#{c.member_no}" for c in record.clubs if c.member_no}
        )
        or None,
        "events": list(record.events) or None,
    }


def table(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """One row per record, ``unique_id`` = index into ``rows``."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(COLUMNS))
    frame.insert(0, "unique_id", range(len(rows)))
    return frame


def columns_table(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """The same table from one list per column (``COLUMNS`` order), ``unique_id`` = position."""
    size = len(next(iter(columns.values()), []))
    frame = pd.DataFrame({c: columns[c] for c in COLUMNS}, columns=list(COLUMNS))
    frame.insert(0, "unique_id", range(size))
    return frame


def build(records: Sequence[SourceRecord]) -> pd.DataFrame:
    return table([row(r) for r in records])
