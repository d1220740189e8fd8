"""The GraphQL schema (first cut): ``customer(id)`` and ``searchCustomers(text)``.

Each root field runs one Cypher query (``graph.cypher.customer``) and child fields read its
result, so a request costs one round trip. The ontology issue replaces these hand-written
types with ones derived from ``ontology/customer360.ttl``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.types import Info

from graph.cypher import customer as cypher

MAX_SEARCH = 50


@strawberry.type(description="A model line or variant, e.g. Strale 950.")
class Model:
    code: str
    name: str | None
    family: str | None
    limited_edition: bool | None


@strawberry.type(
    description="A vehicle the person owns, with the ownership's certification."
)
class Vehicle:
    vin: str
    certification: str | None
    since: str | None
    model: Model | None


@strawberry.type(description="A dealer or service point.")
class Dealer:
    code: str
    name: str | None
    country: str | None


@strawberry.type(description="An official owners' club, affiliated with one dealer.")
class Club:
    code: str
    name: str | None
    dealer: Dealer | None


@strawberry.type(description="The person's membership of a club.")
class ClubMembership:
    club: Club
    member_no: str | None
    since: str | None
    status: str | None


@strawberry.type(
    description="One record of a source system, and why it belongs to this person."
)
class SourceRecord:
    source: str
    source_id: str
    given_name: str | None
    family_name: str | None
    email: str | None
    phone: str | None
    country: str | None
    updated_at: str | None
    rule: str | None = strawberry.field(
        description="Match rule that linked it (seed = first record)."
    )
    ruleset_version: str | None
    matched_value: str | None = strawberry.field(
        description="The shared normalised value."
    )
    matched_source: str | None
    matched_source_id: str | None


@strawberry.type(
    description="A unified customer: one real person across all source systems."
)
class Person:
    id: strawberry.ID
    given_name: str | None
    family_name: str | None
    display_name: str
    country: str | None
    emails: list[str]
    phones: list[str]
    source_records: list[SourceRecord]
    vehicles: list[Vehicle]
    preferred_dealer: Dealer | None
    clubs: list[ClubMembership]


def _dealer(d: dict[str, Any] | None) -> Dealer | None:
    return (
        Dealer(code=d["code"], name=d.get("name"), country=d.get("country"))
        if d
        else None
    )


def to_person(row: dict[str, Any]) -> Person:
    """Build the GraphQL object from the one-query projection in ``graph.cypher.customer``."""
    return Person(
        id=strawberry.ID(row["id"]),
        given_name=row.get("givenName"),
        family_name=row.get("familyName"),
        display_name=row.get("displayName") or "",
        country=row.get("country"),
        emails=list(row.get("emails") or []),
        phones=list(row.get("phones") or []),
        source_records=[
            SourceRecord(
                source=s["source"],
                source_id=s["sourceId"],
                given_name=s.get("givenName"),
                family_name=s.get("familyName"),
                email=s.get("email"),
                phone=s.get("phone"),
                country=s.get("country"),
                updated_at=s.get("updatedAt"),
                rule=s.get("rule"),
                ruleset_version=s.get("rulesetVersion"),
                matched_value=s.get("matchedValue"),
                matched_source=s.get("matchedSource"),
                matched_source_id=s.get("matchedSourceId"),
            )
            for s in sorted(
                row.get("sourceRecords") or [],
                key=lambda s: (s["source"], s["sourceId"]),
            )
        ],
        vehicles=[
            Vehicle(
                vin=v["vin"],
                certification=v.get("certification"),
                since=v.get("since"),
                model=Model(
                    code=v["model"]["code"],
                    name=v["model"].get("name"),
                    family=v["model"].get("family"),
                    limited_edition=v["model"].get("limitedEdition"),
                )
                if v.get("model")
                else None,
            )
            for v in sorted(row.get("vehicles") or [], key=lambda v: v["vin"])
        ],
        preferred_dealer=_dealer(row.get("preferredDealer")),
        clubs=[
            ClubMembership(
                club=Club(
                    code=m["club"]["code"],
                    name=m["club"].get("name"),
                    dealer=_dealer(m["club"].get("dealer")),
                ),
                member_no=m.get("memberNo"),
                since=m.get("since"),
                status=m.get("status"),
            )
            for m in sorted(row.get("clubs") or [], key=lambda m: m["club"]["code"])
        ],
    )


class UserError(Exception):
    """An error about the request itself; its message is shown to the client as is."""


@strawberry.type
class Query:
    @strawberry.field(description="The unified customer with this id, or null.")
    async def customer(self, info: Info, id: strawberry.ID) -> Person | None:
        row = await cypher.customer_by_id(
            info.context["driver"], str(id), info.context["database"]
        )
        return to_person(row) if row else None

    @strawberry.field(
        description="Customers whose names, emails or phones match all words of `text`, best first."
    )
    async def search_customers(
        self, info: Info, text: str, first: int = 10
    ) -> list[Person]:
        if not 1 <= first <= MAX_SEARCH:
            raise UserError(f"first must be between 1 and {MAX_SEARCH}")
        if len(text) > 200:
            raise UserError("text is longer than 200 characters")
        rows = await cypher.search_customers(
            info.context["driver"], text, first, info.context["database"]
        )
        return [to_person(r) for r in rows]


def _should_mask(error: Any) -> bool:
    """Show GraphQL validation and user errors; hide everything unexpected (no stack traces)."""
    original = getattr(error, "original_error", None)
    return original is not None and not isinstance(original, UserError)


schema = strawberry.Schema(
    query=Query,
    # Factories, so each request gets fresh extension instances.
    extensions=[
        lambda: QueryDepthLimiter(max_depth=8),
        lambda: MaxAliasesLimiter(max_alias_count=20),
        lambda: MaskErrors(
            should_mask_error=_should_mask,
            error_message="internal error; it was logged",
        ),
    ],
)
