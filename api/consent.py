"""Consent through GraphQL: what a customer agreed to, and a segment as an audience.

``consentInForce(customerId)`` lists, per channel and purpose the customer ever stated,
the statement in force and the source record it came from. ``audience(segmentId,
purpose, channel)`` is a segment at activation time: its members, how many may be
contacted for that purpose on that channel, how many are excluded, and a Relay page of
the eligible ones. Membership itself ignores consent (domain brief §7), so segment
analytics stay whole; consent applies here, when an audience is used.

The types use the ontology's enums (``Channel``, ``Purpose``, ``ConsentStatus``), so they
are made per schema; this module therefore evaluates annotations eagerly.
"""

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import Any, LiteralString, cast

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from api.access import scope_of
from api.execute import UserError, native, run_read
from graph import compile as cq
from graph.cypher import consent as cypher
from graph.cypher.segments import MEMBERS_MATCH
from graph.segment_compile import Segment
from ontology.graphql import GqlSchema

MAX_ID = 100


def consent_queries(
    gql: GqlSchema,
    enums: Mapping[str, type[enum.Enum]],
    definitions: tuple[Segment, ...],
    person_connection: type,
    selection: Callable[[SelectedField], cq.Selection],
    connection_result: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """``consentInForce`` and ``audience``, typed with the schema's derived enums."""
    channel_enum, purpose_enum = enums["Channel"], enums["Purpose"]
    status_enum = enums["ConsentStatus"]
    segment_ids = {d.id for d in definitions}

    @strawberry.type(
        name="ConsentInForce",
        description="The consent statement in force for one channel and purpose: the "
        "latest of the customer's statements (a refusal wins a tie).",
    )
    class ConsentInForce:
        channel: channel_enum  # type: ignore[valid-type]
        purpose: purpose_enum  # type: ignore[valid-type]
        status: status_enum  # type: ignore[valid-type]
        at: dt.datetime
        wording_version: str | None
        source: str = strawberry.field(description="The source system that said so.")
        source_id: str
        statements: int = strawberry.field(
            description="How many statements the customer made for this channel and purpose."
        )

    @strawberry.type(
        name="Audience",
        description="A segment's current members at activation: who may be contacted for "
        "the purpose on the channel. People without a granted statement in force are "
        "excluded (no statement is no consent).",
    )
    class Audience:
        segment_id: strawberry.ID
        purpose: purpose_enum  # type: ignore[valid-type]
        channel: channel_enum  # type: ignore[valid-type]
        members: int = strawberry.field(description="Current members of the segment.")
        eligible: int = strawberry.field(description="Members who may be contacted.")
        excluded: int = strawberry.field(description="Members without consent.")
        customers: person_connection = strawberry.field(  # type: ignore[valid-type]
            description="The eligible members, in ID order (a Relay page of the "
            "audience's first/after)."
        )

    def check_id(name: str, value: str) -> None:
        if len(value) > MAX_ID:
            raise UserError(f"{name} is longer than {MAX_ID} characters")

    async def consent_in_force(
        info: Info, customer_id: strawberry.ID
    ) -> list[ConsentInForce]:
        check_id("customerId", str(customer_id))
        rows = await run_read(info, cypher.IN_FORCE, {"person": str(customer_id)})
        return [
            ConsentInForce(
                channel=channel_enum(r["channel"]),
                purpose=purpose_enum(r["purpose"]),
                status=status_enum(r["status"]),
                at=native(r["at"]),
                wording_version=r["wording"],
                source=r["source"],
                source_id=r["sourceId"],
                statements=r["statements"],
            )
            for r in rows
        ]

    async def audience(
        info: Info,
        segment_id: strawberry.ID,
        purpose: purpose_enum,  # type: ignore[valid-type]
        channel: channel_enum,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Audience | None:
        check_id("segmentId", str(segment_id))
        if str(segment_id) not in segment_ids:
            return None
        wanted = cast(enum.Enum, purpose).value, cast(enum.Enum, channel).value
        free = wanted[0] in cypher.NO_CONSENT_NEEDED
        params = {
            "segment": str(segment_id),
            "purpose": wanted[0],
            "channel": wanted[1],
        }
        counts = await run_read(info, cypher.AUDIENCE_COUNTS, {**params, "free": free})
        members, eligible = counts[0]["members"], counts[0]["eligible"]
        sel = selection(cast(SelectedField, info.selected_fields[0]))
        page: dict[str, Any] = {}
        for child in sel.children:
            if child.name == "customers":
                # the page's arguments are the audience's own
                child = cq.Selection(child.name, child.key, sel.args, child.children)
                match: LiteralString = (
                    MEMBERS_MATCH
                    if free
                    else MEMBERS_MATCH + " AND " + cypher.CONSENTED
                )
                query, args, offset, size = cq.compile_page(
                    gql, "Person", match, child, params, scope_of(info)
                )
                rows = await run_read(info, query, args)
                nodes = [dict(n) for n in rows[0]["nodes"]] if rows else []
                page = connection_result(child, eligible, nodes, offset, size)
                break
        return Audience(
            segment_id=segment_id,
            purpose=purpose,
            channel=channel,
            members=members,
            eligible=eligible,
            excluded=members - eligible,
            customers=page,
        )

    return {
        "consentInForce": strawberry.field(
            name="consentInForce",
            resolver=consent_in_force,
            description="Per channel and purpose the customer stated, the statement in "
            "force and where it came from; empty when the customer stated nothing.",
        ),
        "audience": strawberry.field(
            name="audience",
            resolver=audience,
            description="A segment as an audience for a purpose and channel: members, "
            f"eligible, excluded, and the eligible customers (first <= {cq.PAGE_MAX}, "
            "after). Null for an unknown segment.",
        ),
    }
