"""The sources file for generated data: which file each system exported, and what its columns mean.

``c360 ingest``/``load --sources`` read exactly this format for a user's own exports too, so
generated data takes the same path as real data (see ``linkage/sources.py`` for the format).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SOURCES: list[dict[str, Any]] = [
    {
        "name": "dealer_crm",
        "file": "dealer_crm_accounts.csv",
        "format": "csv",
        "delimiter": ";",
        "id": ["DEALER_CODE", "ACCOUNT_ID"],
        "date_format": "%d.%m.%Y",
        "columns": {
            "FIRST_NAME": "givenName",
            "LAST_NAME": "familyName",
            "EMAIL": "email",
            "MOBILE": "phone",
            "STREET": "street",
            "ZIP": "postcode",
            "CITY": "city",
            "COUNTRY": "country",
            "PREFERRED_DEALER": "preferredDealer",
            "BIRTH_DATE": "birthDate",
            "CREATED": "createdAt",
            "LAST_MODIFIED": "updatedAt",
        },
    },
    {
        "name": "owner_app",
        "file": "owner_app_accounts.jsonl",
        "format": "jsonl",
        "id": ["user_id"],
        "name_order": "by_country",
        "columns": {
            "user_id": "appAccount",
            "login_email": "email",
            "display_name": "fullName",
            "country": "country",
            "phone": "phone",
            "language": "language",
            "installed_at": "createdAt",
            "updated_at": "updatedAt",
            "garage[].vin": "vehicles[].vin",
            "garage[].model": "vehicles[].model",
            "garage[].status": "vehicles[].certification",
            "garage[].declared_at": "vehicles[].since",
            "garage[].no_longer_owned_at": "vehicles[].until",
        },
    },
    {
        "name": "club_registration",
        "file": "club_registrations.csv",
        "format": "csv",
        "delimiter": ",",
        "id": ["club_code", "member_no"],
        "columns": {
            "name": "fullName",
            "email": "email",
            "phone": "phone",
            "country": "country",
            "club_code": "clubs[].club",
            "member_no": "clubs[].memberNo",
            "member_since": "clubs[].since",
            "status": "clubs[].status",
            "role": "clubs[].role",
            "renewal_due": "clubs[].renewalDue",
            "updated": "updatedAt",
        },
    },
    {
        "name": "ticketing",
        "file": "event_tickets.jsonl",
        "format": "jsonl",
        "id": ["ticket_id"],
        "name_order": "upper_is_family_first",
        "columns": {
            "buyer_name": "fullName",
            "buyer_email": "email",
            "purchased_at": "updatedAt",
        },
    },
    {
        "name": "web_form",
        "file": "web_forms.jsonl",
        "format": "jsonl",
        "id": ["submission_id"],
        "columns": {
            "first_name": "givenName",
            "last_name": "familyName",
            "email": "email",
            "phone": "phone",
            "country": "country",
            "preferred_dealer": "preferredDealer",
            "submitted_at": "updatedAt",
        },
    },
    {
        "name": "survey",
        "file": "nps_responses.csv",
        "format": "csv",
        "delimiter": ",",
        "id": ["response_id"],
        "columns": {
            "respondent_email": "email",
            "respondent_account": "appAccount",
            "answered_at": "updatedAt",
        },
    },
    # Touchpoint sources: linked to people through an account, a VIN or a contact point.
    {
        "name": "dealer_crm_quotations",
        "file": "dealer_crm_quotations.csv",
        "format": "csv",
        "delimiter": ";",
        "kind": "touchpoint",
        "id": ["QUOTE_ID"],
        "date_format": "%d.%m.%Y",
    },
    {
        "name": "dealer_crm_orders",
        "file": "dealer_crm_orders.csv",
        "format": "csv",
        "delimiter": ";",
        "kind": "touchpoint",
        "id": ["ORDER_ID"],
        "date_format": "%d.%m.%Y",
    },
    {
        "name": "service_visit",
        "file": "service_visits.csv",
        "format": "csv",
        "delimiter": ",",
        "kind": "touchpoint",
        "id": ["work_order_id"],
        "date_format": "%d/%m/%Y",
    },
    {
        "name": "communication",
        "file": "communications.jsonl",
        "format": "jsonl",
        "kind": "touchpoint",
        "id": ["message_id"],
    },
]
REFERENCE = {
    "countries": "reference/countries.csv",
    "dealers": "reference/dealers.csv",
    "clubs": "reference/clubs.csv",
    "models": "reference/models.csv",
    "events": "reference/events.csv",
}


def write_sources_file(path: Path, brand: str, seed: int) -> None:
    lines = [
        f"# Sources of a data set written by `c360 generate --brand {brand} --seed {seed}`.",
        "# Format: linkage/sources.py. `columns` maps a file's column (or nested path) to a property.",
        "version = 1",
        "",
        "[reference]",
        *(f"{k} = {json.dumps(v)}" for k, v in REFERENCE.items()),
    ]
    for spec in SOURCES:
        lines += ["", "[[source]]"]
        for key, value in spec.items():
            if key != "columns":
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        if "columns" in spec:
            lines.append("[source.columns]")
            lines += [
                f"{json.dumps(k)} = {json.dumps(v)}" for k, v in spec["columns"].items()
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
