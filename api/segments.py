"""Segment queries: a segment's current members (a Relay page) and why a customer is in one.

The segments themselves (``segment(id)``, ``segments``) and a customer's memberships with
their history (``customer { inSegment(current: true) { since node { name } } }``) are
derived from the ontology like every other type; these two fields add what derivation
cannot: paging through the members of a segment, and the reasons of one membership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from api.access import scope_of
from api.execute import UserError, native, run_read
from graph import compile as cq
from graph import segments
from graph.cypher import segments as cypher
from graph.segment_compile import Segment
from ontology.graphql import GqlSchema

MAX_ID = 100


@strawberry.type(description="One condition of a segment, evaluated for one customer.")
class SegmentReason:
    condition: str = strawberry.field(
        description="The condition's name in the definition."
    )
    held: bool
    matches: int | None = strawberry.field(
        description="How many patterns matched (null for a test of the customer's own fields)."
    )
    values: list[str] = strawberry.field(
        description="The tested values, as `var.property = value`, of the first match "
        "(or the latest, for a latest-match condition)."
    )


@strawberry.type(
    description="Whether a customer is in a segment (the stored membership) and why: each "
    "condition evaluated at the segment's last refresh."
)
class SegmentMembershipCheck:
    member: bool
    since: dt.date | None
    rule_version: str | None
    evaluated_at: dt.datetime | None
    reasons: list[SegmentReason]


def scan_by_id(members: int, people: int, wanted: int) -> bool:
    """Whether to page a segment by walking people in id order (``MEMBERS_BY_ID``) rather
    than expanding all its members and sorting them (``MEMBERS_MATCH``): the walk reads
    about ``wanted * people / members`` people, each dearer to test than a membership is
    to read (taken as 3 times), the expansion reads every member."""
    return members > 0 and 3 * wanted * people < members * members


def segment_queries(
    gql: GqlSchema,
    definitions: tuple[Segment, ...],
    person_connection: type,
    selection: Callable[[SelectedField], cq.Selection],
    connection_result: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """``segmentMembers`` and ``segmentMembership``; ``selection`` and
    ``connection_result`` are the schema's own selection and Relay-page builders."""
    by_id = {d.id: d for d in definitions}
    reasons = {d.id: segments.reasons_query(d) for d in definitions}

    def check_id(name: str, value: str) -> None:
        if len(value) > MAX_ID:
            raise UserError(f"{name} is longer than {MAX_ID} characters")

    async def segment_members(
        info: Info,
        segment_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Any:
        check_id("segmentId", str(segment_id))
        sel = selection(cast(SelectedField, info.selected_fields[0]))
        sizes = await run_read(
            info, cypher.MEMBERS_AND_PEOPLE, {"segment": str(segment_id)}
        )
        if not sizes:
            return None
        total, people = sizes[0]["total"], sizes[0]["people"]
        offset, size = cq.page_bounds(sel)
        query, params, _, _ = cq.compile_page(
            gql,
            "Person",
            cypher.MEMBERS_BY_ID
            if scan_by_id(total, people, offset + size + 1)
            else cypher.MEMBERS_MATCH,
            sel,
            {"segment": str(segment_id)},
            scope_of(info),
        )
        rows = await run_read(info, query, params)
        nodes = [dict(n) for n in rows[0]["nodes"]] if rows else []
        return connection_result(sel, total, nodes, offset, size)

    async def segment_membership(
        info: Info, customer_id: strawberry.ID, segment_id: strawberry.ID
    ) -> SegmentMembershipCheck | None:
        check_id("customerId", str(customer_id))
        check_id("segmentId", str(segment_id))
        if str(segment_id) not in by_id:
            return None
        query, params = reasons[str(segment_id)]
        rows = await run_read(
            info,
            query,
            {**params, "segment": str(segment_id), "person": str(customer_id)},
        )
        if not rows:
            return None
        r = rows[0]
        return SegmentMembershipCheck(
            member=r["member"],
            since=native(r["since"]),
            rule_version=r["ruleVersion"],
            evaluated_at=native(r["evaluatedAt"]),
            reasons=[
                SegmentReason(
                    condition=x["condition"],
                    held=bool(x["held"]),
                    matches=x["matches"],
                    values=list(x["values"]),
                )
                for x in r["reasons"]
            ],
        )

    return {
        "segmentMembers": strawberry.field(
            name="segmentMembers",
            resolver=segment_members,
            graphql_type=person_connection | None,
            description="The customers in a segment now, in ID order (Relay page, first <= "
            f"{cq.PAGE_MAX}); totalCount is the segment's member count, kept by every "
            "write that changes its members. Null for an unknown segment.",
        ),
        "segmentMembership": strawberry.field(
            name="segmentMembership",
            resolver=segment_membership,
            description="Is this customer in this segment, since when, and which of its "
            "conditions held, with the values tested; null if either is unknown.",
        ),
    }
