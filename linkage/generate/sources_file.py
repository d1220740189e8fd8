"""The sources file for generated data: which file each system exported, and what its columns mean.

``c360 ingest``/``load --sources`` read exactly this format for a user's own exports too, so
generated data takes the same path as real data (see ``linkage/sources.py`` for the format).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Touchpoints reach their person through the row's own record ("self"), the dealer account
# a CRM extract row belongs to, the VIN of a serviced vehicle, or a message's recipient.
BY_ACCOUNT: dict[str, Any] = {
    "record": "dealer_crm",
    "id": ["DEALER_CODE", "ACCOUNT_ID"],
}


def _tp(
    label: str,
    at: str,
    person: str | dict[str, Any],
    stage: str | None,
    channel: str | None,
    columns: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``[[source.touchpoint]]`` declaration (format: ``linkage/touchpoints.py``)."""
    constants = {"journeyStage": stage, "channel": channel}
    out: dict[str, Any] = {"type": label, "at": at, "person": person}
    out |= {k: v for k, v in extra.items() if v is not None}
    out["columns"] = columns or {}
    out["set"] = {k: v for k, v in constants.items() if v is not None}
    return out


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
        "touchpoint": [
            _tp(
                "DealerVisit",
                "CREATED",
                "self",
                "contact",
                "in_person",
                {"DEALER_CODE": "atDealer"},
            ),
        ],
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
        "touchpoint": [_tp("AppInstall", "installed_at", "self", "ownership", "app")],
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
        "touchpoint": [
            _tp(
                "ClubRegistration",
                "member_since",
                "self",
                "loyalty",
                None,
                {"club_code": "aboutClub"},
            ),
        ],
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
        "touchpoint": [
            _tp(
                "EventAttendance",
                "checked_in_at",
                "self",
                None,
                "in_person",
                {"event_id": "atEvent"},
                when="checked_in_at",
            ),
        ],
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
        "touchpoint": [
            _tp(
                "WebRegistration",
                "submitted_at",
                "self",
                "contact",
                "web",
                {"preferred_dealer": "atDealer", "model_interest": "forModel"},
                where={"form": ["newsletter", "brochure"]},
            ),
            _tp(
                "TestRide",
                "submitted_at",
                "self",
                "consideration",
                "web",
                {"preferred_dealer": "atDealer", "model_interest": "forModel"},
                where={"form": ["test_ride"]},
            ),
            _tp(
                "Quotation",
                "submitted_at",
                "self",
                "consideration",
                "web",
                {"preferred_dealer": "atDealer", "model_interest": "forModel"},
                where={"form": ["quotation_request"]},
            ),
        ],
        "referral": [
            {
                "mechanism": "declared",
                "at": "submitted_at",
                "referrer": {"contact": "referred_by"},
                "referee": "self",
            }
        ],
        "consent": [
            {
                "column": f"consent.{box}",
                "channel": channel,
                "purpose": purpose,
                "at": "submitted_at",
            }
            for box, channel, purpose in (
                ("email_marketing", "email", "marketing"),
                ("sms_marketing", "sms", "marketing"),
                ("profiling", "any", "profiling"),
            )
        ],
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
        "touchpoint": [
            _tp(
                "SurveyResponse",
                "answered_at",
                "self",
                None,
                None,
                {
                    "score": "score",
                    "checkpoint": "checkpoint",
                    "reason": "reason",
                    "subject_id": link,
                },
                where={"subject_type": [subject]},
            )
            for subject, link in (
                ("dealer", "atDealer"),
                ("model", "forModel"),
                ("event", "atEvent"),
                ("club", "aboutClub"),
            )
        ],
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
        "touchpoint": [
            _tp(
                "Quotation",
                "QUOTE_DATE",
                BY_ACCOUNT,
                "consideration",
                "in_person",
                {
                    "DEALER_CODE": "atDealer",
                    "MODEL_CODE": "forModel",
                    "STATUS": "outcome",
                    "REJECTION_REASON": "reason",
                },
            ),
        ],
    },
    {
        "name": "dealer_crm_orders",
        "file": "dealer_crm_orders.csv",
        "format": "csv",
        "delimiter": ";",
        "kind": "touchpoint",
        "id": ["ORDER_ID"],
        "date_format": "%d.%m.%Y",
        "touchpoint": [
            _tp(
                "Order",
                "ORDER_DATE",
                BY_ACCOUNT,
                "decision",
                "in_person",
                {
                    "DEALER_CODE": "atDealer",
                    "MODEL_CODE": "forModel",
                    "VIN": "aboutVehicle",
                    "AMOUNT_EUR": "amount",
                },
                suffix="order",
            ),
            _tp(
                "Delivery",
                "DELIVERY_DATE",
                BY_ACCOUNT,
                "delivery",
                "in_person",
                {
                    "DEALER_CODE": "atDealer",
                    "MODEL_CODE": "forModel",
                    "VIN": "aboutVehicle",
                },
                when="DELIVERY_DATE",
                suffix="delivery",
            ),
        ],
    },
    {
        "name": "care_case",
        "file": "care_cases.csv",
        "format": "csv",
        "delimiter": ",",
        "kind": "touchpoint",
        "id": ["case_id"],
        "touchpoint": [
            _tp(
                "Case",
                "opened_at",
                {"record": "survey", "id": ["response_id"]},
                None,
                "phone",
                {
                    "dealer_code": "atDealer",
                    "case_type": "caseType",
                    "called_back_at": "calledBackAt",
                    "closed_at": "closedAt",
                    "outcome": "outcome",
                },
            ),
        ],
    },
    {
        "name": "service_visit",
        "file": "service_visits.csv",
        "format": "csv",
        "delimiter": ",",
        "kind": "touchpoint",
        "id": ["work_order_id"],
        "date_format": "%d/%m/%Y",
        "touchpoint": [
            _tp(
                "ServiceVisit",
                "visit_date",
                {"vin": "vin"},
                "ownership",
                "in_person",
                {
                    "dealer_code": "atDealer",
                    "vin": "aboutVehicle",
                    "type": "serviceType",
                    "mileage_km": "mileage",
                },
            ),
        ],
    },
    {
        "name": "communication",
        "file": "communications.jsonl",
        "format": "jsonl",
        "kind": "touchpoint",
        "id": ["message_id"],
        "touchpoint": [
            _tp(
                "Communication",
                "sent_at",
                {"contact": "recipient"},
                None,
                None,
                {
                    "channel": "channel",
                    "campaign": "partOfCampaign",
                    "opened_at": "openedAt",
                },
            ),
        ],
    },
]
REFERENCE = {
    "countries": "reference/countries.csv",
    "dealers": "reference/dealers.csv",
    "clubs": "reference/clubs.csv",
    "models": "reference/models.csv",
    "events": "reference/events.csv",
}


def _toml(value: Any) -> str:
    """A TOML value: strings and arrays as JSON writes them, tables inline."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


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
            if key not in {"columns", "touchpoint", "referral", "consent"}:
                lines.append(f"{key} = {_toml(value)}")
        if "columns" in spec:
            lines.append("[source.columns]")
            lines += [
                f"{json.dumps(k)} = {_toml(v)}" for k, v in spec["columns"].items()
            ]
        for r in spec.get("referral", []):
            lines.append("[[source.referral]]")
            lines += [f"{k} = {_toml(v)}" for k, v in r.items()]
        for c in spec.get("consent", []):
            lines.append("[[source.consent]]")
            lines += [f"{k} = {_toml(v)}" for k, v in c.items()]
        for t in spec.get("touchpoint", []):
            lines.append("[[source.touchpoint]]")
            tables = {k: v for k, v in t.items() if k in {"columns", "set"}}
            lines += [f"{k} = {_toml(v)}" for k, v in t.items() if k not in tables]
            for name, table in tables.items():
                if table:
                    lines.append(f"[source.touchpoint.{name}]")
                    lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
